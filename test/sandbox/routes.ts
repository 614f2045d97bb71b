// A tiny router shared by the HTTPS server (Entra, later EWS) and the plain-HTTP control server,
// so other stand-ins can add routes without touching this module.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler, RouteRegistry } from './types';

interface Route {
	method: string;
	path: string | RegExp;
	handler: RouteHandler;
}

export class Router implements RouteRegistry {
	private readonly routes: Route[] = [];

	constructor(private readonly log: (line: string) => void) {}

	addRoute(method: string, path: string | RegExp, handler: RouteHandler): void {
		this.routes.push({ method: method.toUpperCase(), path, handler });
	}

	/** The request listener for http(s).createServer. */
	readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
		const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
		let pathMatched = false;
		for (const route of this.routes) {
			const params = matchPath(route.path, url.pathname);
			if (!params) continue;
			pathMatched = true;
			if (route.method !== req.method && route.method !== '*') continue;
			Promise.resolve()
				.then(() => route.handler(req, res, { url, params }))
				.catch((error: unknown) => {
					this.log(`${req.method} ${url.pathname} failed: ${error instanceof Error ? error.message : String(error)}`);
					if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: 'Sandbox handler failed.' });
					else res.end();
				});
			return;
		}
		sendJson(res, pathMatched ? 405 : 404, { error: pathMatched ? 'method_not_allowed' : 'not_found', path: url.pathname });
	};
}

function matchPath(path: string | RegExp, pathname: string): string[] | undefined {
	if (typeof path === 'string') {
		const lower = pathname.toLowerCase();
		const prefix = path.toLowerCase();
		return lower === prefix || lower.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`) ? [] : undefined;
	}
	const match = path.exec(pathname);
	return match && match[0] === pathname ? match.slice(1).map((group) => (group === undefined ? '' : decodeURIComponent(group))) : undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const payload = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': Buffer.byteLength(payload),
		'Cache-Control': 'no-store, no-cache',
		Pragma: 'no-cache',
		...headers,
	});
	res.end(payload);
}

export async function readBody(req: IncomingMessage, limitBytes = 1024 * 1024): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		const buffer = chunk as Buffer;
		size += buffer.length;
		if (size > limitBytes) throw new Error(`request body over ${limitBytes} bytes`);
		chunks.push(buffer);
	}
	return Buffer.concat(chunks);
}
