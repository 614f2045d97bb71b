import { WELL_KNOWN_FOLDERS, type WellKnownFolder } from './store';

/** Folder references as users type them, whatever the API: well-known names, paths of display names, IDs. */

export function isWellKnownFolder(value: string): value is WellKnownFolder {
	return Object.prototype.hasOwnProperty.call(WELL_KNOWN_FOLDERS, value.toLowerCase());
}

/**
 * The folder names of a path ("Inbox/Processed" → Inbox, Processed), trimmed; undefined when a name
 * is empty ("", "/", "Inbox/", "Inbox//x", " / "), since dropping it would point at another folder.
 */
export function folderPathSegments(path: string): string[] | undefined {
	const segments = path.split('/').map((segment) => segment.trim());
	return segments.every(Boolean) ? segments : undefined;
}

/** A display name as one path segment: "/" inside a name is written "\/" (and "\" as "\\"), so a folder "Clients/Acme" and the folder "Acme" in "Clients" print differently. */
export function pathSegment(displayName: string): string {
	return displayName.replace(/\\/g, '\\\\').replace(/\//g, '\\/');
}

/**
 * Whether a value in the folder picker's list mode is a folder ID (what the list stores) rather
 * than a path (what it stored before, kept working in saved workflows). Exchange ids are long padded
 * base64 whose first byte is 0 or 1 ("AAMk…", "AQMk…", "AAkALg…"): standard base64 on EWS, the
 * URL-safe alphabet ("-", "_") on Graph, never both in one id. A path of that shape would be one name
 * of 40+ letters without spaces starting "AA"…"Af", so "Inbox-2024" and "Archive_2026…" stay paths.
 */
export function looksLikeFolderId(value: string): boolean {
	if (value.length < 40 || value.length % 4 !== 0 || !/^A[A-Za-f]/.test(value)) return false;
	return /^[A-Za-z0-9+/]+={0,2}$/.test(value) || /^[A-Za-z0-9_-]+={0,2}$/.test(value);
}
