/** What memoryLimit.test.ts and its child process (child.ts) exchange: the input on stdin, one result line on stdout. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

export const RESULT_PREFIX = '@@memory-result ';

export interface ChildInput {
	credential: ICredentialDataDecryptedObject;
	ca: string;
	mailbox: string;
	folderPath: string;
	/** n8n's binary data folder (N8N_BINARY_DATA_STORAGE_PATH). */
	storagePath: string;
	maxAttachmentBytes: number;
}

export interface ChildResult {
	items: Array<{ subject: string; error?: string; binaries: Array<{ fileName?: string; path: string; bytes?: number }> }>;
	peakRssMB: number;
}
