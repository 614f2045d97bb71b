// The Graph entity types, read from @microsoft/microsoft-graph-types (microsoft-graph.d.ts) with the TypeScript
// compiler API: property names and primitive types per interface, following `extends`. Request bodies are checked
// against them as Graph's OData reader does: an unknown property, a wrong primitive or an unknown enum value is a
// 400 RequestBodyRead. Names match case-insensitively (Graph accepts Outlook REST's PascalCase, as the
// createUploadSession example's "AttachmentItem" shows).
import { readFileSync } from 'node:fs';
import * as ts from 'typescript';
import { errors } from './errors';

export type TypeRef =
	| { kind: 'string' | 'number' | 'boolean' | 'any' }
	| { kind: 'enum'; name: string; values: string[] }
	| { kind: 'entity'; name: string }
	| { kind: 'array'; of: TypeRef };

export interface EntityType {
	name: string;
	base?: string;
	/** Lower-cased property name -> declared name and type. */
	props: Map<string, { name: string; type: TypeRef }>;
}

let cached: Map<string, EntityType> | undefined;

/** Every top-level interface of microsoft-graph.d.ts (parsed once per process). */
export function graphTypes(): Map<string, EntityType> {
	if (cached) return cached;
	const file = require.resolve('@microsoft/microsoft-graph-types/microsoft-graph.d.ts');
	const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
	const aliases = new Map<string, ts.TypeNode>();
	const interfaces: ts.InterfaceDeclaration[] = [];
	for (const statement of source.statements) {
		if (ts.isTypeAliasDeclaration(statement)) aliases.set(statement.name.text, statement.type);
		else if (ts.isInterfaceDeclaration(statement)) interfaces.push(statement);
	}
	const names = new Set(interfaces.map((declaration) => declaration.name.text));
	const resolve = (node: ts.TypeNode): TypeRef => {
		switch (node.kind) {
			case ts.SyntaxKind.StringKeyword:
				return { kind: 'string' };
			case ts.SyntaxKind.NumberKeyword:
				return { kind: 'number' };
			case ts.SyntaxKind.BooleanKeyword:
				return { kind: 'boolean' };
		}
		if (ts.isArrayTypeNode(node)) return { kind: 'array', of: resolve(node.elementType) };
		if (ts.isParenthesizedTypeNode(node)) return resolve(node.type);
		if (ts.isUnionTypeNode(node)) {
			const literals = node.types.filter(ts.isLiteralTypeNode).map((literal) => (ts.isStringLiteral(literal.literal) ? literal.literal.text : undefined));
			if (literals.length === node.types.length && literals.every((value) => value !== undefined)) return { kind: 'enum', name: '', values: literals as string[] };
			const rest = node.types.filter((type) => type.kind !== ts.SyntaxKind.NullKeyword && !(ts.isLiteralTypeNode(type) && type.literal.kind === ts.SyntaxKind.NullKeyword));
			return rest.length === 1 ? resolve(rest[0]) : { kind: 'any' };
		}
		if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
			const name = node.typeName.text;
			if (name === 'NullableOption' && node.typeArguments?.[0]) return resolve(node.typeArguments[0]);
			if (names.has(name)) return { kind: 'entity', name };
			const alias = aliases.get(name);
			if (alias) {
				const resolved = resolve(alias);
				return resolved.kind === 'enum' ? { ...resolved, name } : resolved;
			}
		}
		return { kind: 'any' };
	};
	const table = new Map<string, EntityType>();
	for (const declaration of interfaces) {
		const base = declaration.heritageClauses?.[0]?.types[0]?.expression;
		const entity: EntityType = { name: declaration.name.text, base: base && ts.isIdentifier(base) ? base.text : undefined, props: new Map() };
		for (const member of declaration.members) {
			if (!ts.isPropertySignature(member) || !member.type) continue;
			const name = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : undefined;
			if (name) entity.props.set(name.toLowerCase(), { name, type: resolve(member.type) });
		}
		table.set(entity.name, entity);
	}
	cached = table;
	return table;
}

/** A property of `typeName` or one of its bases. */
export function findProperty(typeName: string, property: string): { name: string; type: TypeRef } | undefined {
	const types = graphTypes();
	for (let type = types.get(typeName); type; type = type.base ? types.get(type.base) : undefined) {
		const found = type.props.get(property.toLowerCase());
		if (found) return found;
	}
	return undefined;
}

function isSubtype(typeName: string, ancestor: string): boolean {
	const types = graphTypes();
	for (let type = types.get(typeName); type; type = type.base ? types.get(type.base) : undefined) if (type.name === ancestor) return true;
	return false;
}

const outlookName = (typeName: string) => `Microsoft.OutlookServices.${typeName}`;

/** Throws RequestBodyRead where `value` does not fit `type`; returns the concrete entity type for `@odata.type`. */
export function validateValue(value: unknown, type: TypeRef, where: string): void {
	if (value === null) return;
	switch (type.kind) {
		case 'any':
			return;
		case 'string':
			if (typeof value !== 'string') throw primitiveMismatch(value, 'Edm.String', where);
			return;
		case 'number':
			if (typeof value !== 'number') throw primitiveMismatch(value, 'Edm.Int32', where);
			return;
		case 'boolean':
			// The docs' own sendMail example sends "false" as a string, and Graph reads it.
			if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') throw primitiveMismatch(value, 'Edm.Boolean', where);
			return;
		case 'enum':
			if (typeof value !== 'string' || !type.values.some((allowed) => allowed.toLowerCase() === value.toLowerCase())) {
				throw errors.bodyRead(`Requested value '${String(value)}' was not found.`);
			}
			return;
		case 'array':
			if (!Array.isArray(value)) throw errors.bodyRead(`A node of type 'StartObject' was read from the JSON reader when trying to read a collection for the property '${where}'; however, a 'StartArray' node was expected.`);
			for (const entry of value) validateValue(entry, type.of, where);
			return;
		case 'entity':
			validateEntity(value, type.name);
	}
}

/** Checks an entity body against `typeName` (or the derived type its `@odata.type` names). */
export function validateEntity(value: unknown, typeName: string): void {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw errors.bodyRead(`Cannot read the value as an object of type '${outlookName(typeName)}'.`);
	}
	let actual = typeName;
	const annotated = (value as Record<string, unknown>)['@odata.type'];
	if (annotated !== undefined) {
		const derived = typeof annotated === 'string' ? /^#?microsoft\.graph\.(\w+)$/i.exec(annotated)?.[1] : undefined;
		const derivedName = derived ? [...graphTypes().keys()].find((name) => name.toLowerCase() === derived.toLowerCase()) : undefined;
		if (!derivedName || !isSubtype(derivedName, typeName)) {
			throw errors.bodyRead(`A type named '${String(annotated)}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.`);
		}
		actual = derivedName;
	}
	for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
		if (key.includes('@')) continue; // instance annotations (@odata.type, @odata.etag, …)
		const property = findProperty(actual, key);
		if (!property) {
			throw errors.bodyRead(
				`The property '${key}' does not exist on type '${outlookName(actual)}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
			);
		}
		validateValue(entry, property.type, key);
	}
}

function primitiveMismatch(value: unknown, edmType: string, where: string) {
	return errors.bodyRead(`Cannot convert the literal '${typeof value === 'string' ? value : JSON.stringify(value)}' to the expected type '${edmType}' (property '${where}').`);
}

/** Parameters of an action (sendMail, move, reply…): name -> type; anything else is refused as Graph does. */
export function validateActionBody(body: unknown, action: string, parameters: Record<string, TypeRef>): Record<string, unknown> {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.bodyRead(`The request body of '${action}' must be a JSON object.`);
	const known = new Map(Object.keys(parameters).map((name) => [name.toLowerCase(), name]));
	const normalized: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
		const name = known.get(key.toLowerCase());
		if (!name) throw errors.bodyRead(`The parameter '${key}' in the request payload is not a valid parameter for the operation '${action}'.`);
		validateValue(value, parameters[name], name);
		normalized[name] = value;
	}
	return normalized;
}

export const entity = (name: string): TypeRef => ({ kind: 'entity', name });
export const arrayOf = (of: TypeRef): TypeRef => ({ kind: 'array', of });
export const STRING: TypeRef = { kind: 'string' };
export const BOOLEAN: TypeRef = { kind: 'boolean' };

/** The value of a property of an entity body, whatever the case of its name. */
export function prop<T = unknown>(body: Record<string, unknown> | undefined, name: string): T | undefined {
	if (!body) return undefined;
	const key = Object.keys(body).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
	return key === undefined ? undefined : (body[key] as T);
}
