// translateExchangeIds: ewsId ↔ restId ↔ restImmutableEntryId for messages (and ewsId ↔ restId for folders) of the
// mailbox in the URL; an id that is not in that mailbox comes back with errorDetails instead of a targetId.
import { idShape, type StoredFolder, type StoredItem } from '../ews/store';
import { jsonBody, ok, route, type GraphContext, type Route } from './context';
import { errors } from './errors';
import { decodeGraphId, graphIdOf, immutableGraphId } from './ids';
import { arrayOf, STRING, validateActionBody } from './schema';

const FORMATS = ['ewsId', 'restId', 'restImmutableEntryId'] as const;
type Format = (typeof FORMATS)[number];
export const MAX_TRANSLATE_IDS = 1000;

function resolve(ctx: GraphContext, id: string, format: Format): StoredItem | StoredFolder | undefined {
	const mine = <T extends { mailbox: string }>(found: T | undefined) => (found && found.mailbox === ctx.mailbox ? found : undefined);
	if (format === 'ewsId') {
		if (idShape(id, 'item') === 'ok') return mine(ctx.store.getItem(id));
		return idShape(id, 'folder') === 'ok' ? mine(ctx.store.folder(id)) : undefined;
	}
	const item = decodeGraphId(id, 'item');
	if (item?.kind === 'immutable') return format === 'restImmutableEntryId' ? mine(ctx.store.itemByImmutableId(item.immutableId)) : undefined;
	if (format !== 'restId') return undefined;
	if (item) return mine(ctx.store.getItem(item.ewsId));
	const folder = decodeGraphId(id, 'folder');
	return folder?.kind === 'ews' ? mine(ctx.store.folder(folder.ewsId)) : undefined;
}

function translate(entity: StoredItem | StoredFolder, format: Format): string | undefined {
	const isItem = 'immutableId' in entity;
	if (format === 'ewsId') return entity.id;
	if (format === 'restId') return graphIdOf(entity.id, isItem ? 'item' : 'folder');
	return isItem ? immutableGraphId(entity.immutableId) : undefined;
}

export const idRoutes: Route[] = [
	route('POST', '/translateExchangeIds', 'read', (ctx) => {
		const body = validateActionBody(jsonBody(ctx.request), 'translateExchangeIds', { inputIds: arrayOf(STRING), sourceIdType: STRING, targetIdType: STRING });
		const inputIds = (body.inputIds as string[] | undefined) ?? [];
		const [source, target] = [body.sourceIdType, body.targetIdType].map((format) => FORMATS.find((known) => known.toLowerCase() === String(format).toLowerCase()));
		if (!source || !target) throw errors.invalidRequest(`The sandbox translates between ${FORMATS.join(', ')}; got '${String(body.sourceIdType)}' → '${String(body.targetIdType)}'.`);
		if (inputIds.length === 0 || inputIds.length > MAX_TRANSLATE_IDS) throw errors.invalidRequest(`inputIds takes 1 to ${MAX_TRANSLATE_IDS} ids.`);
		const value = inputIds.map((sourceId) => {
			const entity = resolve(ctx, sourceId, source);
			const targetId = entity && translate(entity, target);
			return targetId ? { sourceId, targetId } : { sourceId, errorDetails: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } };
		});
		return ok({ '@odata.context': `${ctx.base}/$metadata#Collection(microsoft.graph.convertIdResult)`, value });
	}),
];
