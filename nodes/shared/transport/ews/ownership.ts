import { isMailboxAllowed, restrictsMailboxes, type MailboxPolicy } from '../../auth/allowedMailboxes';
import type { IdRefusal, IdUse, ItemResult } from '../../mail/store';
import { BATCH_SIZE, chunk, perItemResults } from './batch';
import type { EwsClient } from './client';
import { ewsLibrary } from './library';

/**
 * Which mailbox an id points into. An EWS id carries its mailbox, so a message, folder or attachment
 * id of mailbox B works in a request for mailbox A whenever the user the request acts as (the
 * impersonated user, or the signed-in one) may open B. ConvertId from EwsId to EwsId reads the
 * mailbox out of the id and answers with its primary SMTP address, without opening anything (the
 * well-known way to find an id's mailbox; the sandbox does the same, a live tenant was not at hand).
 *
 * One ConvertId per 100 distinct ids; the result is keyed by id, lower-case addresses.
 */
export async function owningMailboxes(client: EwsClient, mailbox: string, ids: string[]): Promise<Map<string, ItemResult<string>>> {
	const { AlternateId, IdFormat } = ewsLibrary();
	const distinct = [...new Set(ids)];
	const owners = new Map<string, ItemResult<string>>();
	for (const batch of chunk(distinct, BATCH_SIZE.moveCopyDelete)) {
		const responses = await client.run(
			mailbox,
			// The Mailbox attribute is required by the schema; for an EwsId Exchange takes the mailbox from the id.
			async (service) => await service.ConvertIds(batch.map((id) => new AlternateId(IdFormat.EwsId, id, mailbox)), IdFormat.EwsId),
			{ idempotent: true },
		);
		const results = perItemResults(responses.Responses, (response) => String((response.ConvertedId as InstanceType<typeof AlternateId>).Mailbox ?? '').trim().toLowerCase());
		batch.forEach((id, index) => owners.set(id, results[index]));
	}
	return owners;
}

/** The owner of each id, however it is looked up (owningMailboxes, or a cache in front of it). */
export type OwnerLookup = (ids: string[]) => Promise<Map<string, ItemResult<string>>>;

/**
 * Allowed Mailboxes for ids: `uses[i]` are the ids of one input item; the answer is its first
 * refused id, or undefined. One lookup for the distinct ids of all items; none when the policy
 * allows every mailbox.
 */
export async function refusedIds(ownersOf: OwnerLookup, policy: MailboxPolicy, uses: IdUse[][]): Promise<Array<IdRefusal | undefined>> {
	if (!restrictsMailboxes(policy) || uses.every((list) => list.length === 0)) return uses.map(() => undefined);
	const owners = await ownersOf(uses.flat().map((use) => use.id));
	return uses.map((list) => {
		for (const use of list) {
			// The lookup answers every id it was given.
			const owner = owners.get(use.id) as ItemResult<string>;
			if (!owner.ok) return { use, failure: owner.failure };
			if (!isMailboxAllowed(policy, owner.value)) return { use, owner: owner.value };
		}
		return undefined;
	});
}
