// ConvertId, EwsId → EwsId: Exchange reads the mailbox an id belongs to out of the id itself and answers
// with that mailbox's primary SMTP address (the Mailbox the request names is not what decides it), so
// a client can tell which mailbox an id points into before it acts on it. Nothing is opened: no rights
// are checked, and an id of a deleted item still converts.
import { EwsError, perEntry, success, type OpHandler } from './context';
import { idShape, mailboxOfId } from './store';
import { attr, child, children, el } from './xml';

const convertId: OpHandler = async (ctx) => {
	const destination = attr(ctx.op, 'DestinationFormat');
	const sources = children(child(ctx.op, 'SourceIds'));
	const mailboxes = ctx.store.listMailboxes().map((box) => box.smtp);
	const messages = await perEntry('ConvertId', sources, (source) => {
		const id = attr(source, 'Id') ?? '';
		if (attr(source, 'Format') !== 'EwsId' || destination !== 'EwsId') throw new EwsError('ErrorInvalidOperation', 'The stand-in converts EwsId to EwsId only.');
		if (idShape(id, 'item') !== 'ok' && idShape(id, 'folder') !== 'ok') throw new EwsError('ErrorInvalidIdMalformed');
		const owner = mailboxOfId(id, mailboxes);
		if (!owner) throw new EwsError('ErrorInvalidIdMalformed');
		return success('ConvertId', el('m:AlternateId', { 'xsi:type': 't:AlternateIdType', Format: 'EwsId', Id: id, Mailbox: owner }));
	});
	return { messages, itemCount: sources.length };
};

export const idOperations: Record<string, OpHandler> = { ConvertId: convertId };
