/** Editor-side checks of the folder pickers (n8n's own parameter validator) and the Move To guard of the trigger. */
import { NodeHelpers, type INode, type INodeParameters } from 'n8n-workflow';

import { Exchange } from '../../nodes/Exchange/Exchange.node';
import { ExchangeTrigger } from '../../nodes/ExchangeTrigger/ExchangeTrigger.node';
import { refuseMoveIntoWatchedFolder } from '../../nodes/ExchangeTrigger/trigger/moveTarget';
import type { FolderRef } from '../../nodes/shared/mail/store';

const trigger = new ExchangeTrigger().description;
const node = { name: 'Trigger', type: 'exchangeTrigger', typeVersion: 1, position: [0, 0], parameters: {} } as unknown as INode;

/** Issues n8n's editor shows for these parameters (defaults filled in as the editor does). */
function issuesOf(description: typeof trigger, parameters: INodeParameters): Record<string, string[]> {
	const withDefaults = NodeHelpers.getNodeParameters(description.properties, parameters, true, false, null, description) ?? {};
	return NodeHelpers.getNodeParametersIssues(description.properties, { ...node, parameters: withDefaults }, description)?.parameters ?? {};
}

const rl = (mode: string, value: string) => ({ __rl: true, mode, value });

describe('folder picker validation in the editor', () => {
	it.each(['inbox', 'Inbox', ' sentitems ', 'DeletedItems', 'msgfolderroot', 'archiveinbox'])('Well-Known accepts %j', (value) => {
		expect(issuesOf(trigger, { mailbox: 'a@contoso.test', folder: rl('wellKnown', value) }).folder).toBeUndefined();
	});

	it.each(['Inbox/Processed', 'Processed', 'inboxx', 'in box', 'sent items'])('Well-Known refuses %j with the list of names', (value) => {
		expect(issuesOf(trigger, { mailbox: 'a@contoso.test', folder: rl('wellKnown', value) }).folder).toEqual([expect.stringMatching(/^Not a well-known folder name\. Use one of inbox, sentitems, .*switch to Path/)]);
	});

	it('the same validation is on every folder picker of the Exchange node', () => {
		const exchange = new Exchange().description;
		const parameters = { authentication: 'appOnly', mailbox: 'a@contoso.test', resource: 'message', operation: 'getMany', folder: rl('wellKnown', 'Inbox/Processed') };
		expect(issuesOf(exchange, parameters).folder).toEqual([expect.stringMatching(/Not a well-known folder name/)]);
	});

	it('"Move To" has no default: choosing "Move to Folder" asks for a folder', () => {
		expect(issuesOf(trigger, { mailbox: 'a@contoso.test', afterEmit: 'move' }).moveTo).toEqual([expect.stringMatching(/required/i)]);
		expect(issuesOf(trigger, { mailbox: 'a@contoso.test', afterEmit: 'move', moveTo: rl('path', 'Inbox/Processed') }).moveTo).toBeUndefined();
	});
});

describe('Move To must not be the watched folder', () => {
	const move = (folder: FolderRef) => ({ kind: 'move' as const, folder });
	const same: Array<[FolderRef, FolderRef]> = [
		[{ wellKnown: 'inbox' }, { wellKnown: 'inbox' }],
		[{ wellKnown: 'inbox' }, { path: 'Inbox' }],
		[{ path: 'inbox/' }, { wellKnown: 'inbox' }],
		[{ path: 'Inbox/Processed' }, { path: ' inbox / processed ' }],
		[{ path: 'msgfolderroot/Clients' }, { path: '/Clients' }],
		[{ id: 'AAMkAG1=' }, { id: 'AAMkAG1=' }],
	];
	it.each(same)('refuses %j as Move To for %j', (moveTo, folder) => {
		expect(() => refuseMoveIntoWatchedFolder(node, { folder, afterEmit: move(moveTo) })).toThrow(/"Move To" is the watched folder/);
	});

	const different: Array<[FolderRef, FolderRef]> = [
		[{ path: 'Inbox/Processed' }, { wellKnown: 'inbox' }],
		[{ wellKnown: 'deleteditems' }, { wellKnown: 'inbox' }],
		[{ id: 'AAMkAG2=' }, { id: 'AAMkAG1=' }],
		[{ path: 'Clients' }, { path: 'Inbox/Clients' }],
	];
	it.each(different)('accepts %j as Move To for %j', (moveTo, folder) => {
		expect(() => refuseMoveIntoWatchedFolder(node, { folder, afterEmit: move(moveTo) })).not.toThrow();
	});

	it('other post-actions are not affected', () => {
		expect(() => refuseMoveIntoWatchedFolder(node, { folder: { wellKnown: 'inbox' }, afterEmit: { kind: 'markRead' } })).not.toThrow();
	});
});
