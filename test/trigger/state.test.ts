import { cursorKeyOf, initialState, loadState, remember, saveState, seenBefore, shortHash } from '../../nodes/ExchangeTrigger/trigger/state';

describe('trigger state', () => {
	it('loads state that n8n hands back as a proxy after a restart (structuredClone refuses those)', () => {
		const state = initialState('key', { kind: 'all' }, new Date());
		state.syncState = 'H4sIAAAA';
		remember(state, ['item-1']);
		const fromDatabase = new Proxy({ exchangeTrigger: new Proxy(JSON.parse(JSON.stringify(state)), {}) }, {});
		expect(() => structuredClone(fromDatabase.exchangeTrigger)).toThrow();
		const { state: loaded, reset } = loadState(fromDatabase, 'key', { kind: 'all' }, new Date());
		expect(reset).toBe(false);
		expect(loaded).toEqual(state);
	});

	it('starts over when the cursor key changes, and says so', () => {
		const staticData: Record<string, unknown> = {};
		saveState(staticData, initialState(cursorKeyOf(['cred', 'a@x.test', 'inbox']), { kind: 'all' }, new Date()));
		const { state, reset } = loadState(staticData, cursorKeyOf(['cred', 'b@x.test', 'inbox']), { kind: 'newOnly' }, new Date());
		expect(reset).toBe(true);
		expect(state.fastForward).toBe(true);
		expect(state.syncState).toBeUndefined();
	});

	it('remembers hashes, not ids, and finds them again', () => {
		const state = initialState('k', { kind: 'all' }, new Date());
		remember(state, ['AAMkAGI2TG93AAA=', '<abc@contoso.test>']);
		expect(state.recent).toEqual([shortHash('AAMkAGI2TG93AAA='), shortHash('<abc@contoso.test>')]);
		expect(JSON.stringify(state)).not.toContain('AAMkAGI2TG93AAA=');
		const recent = new Set(state.recent);
		expect(seenBefore(recent, [null, '<abc@contoso.test>'])).toBe(true);
		expect(seenBefore(recent, ['other'])).toBe(false);
	});
});
