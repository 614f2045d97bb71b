// Lint for the shipped code only (credentials/, nodes/, package.json): n8n's community-node rules.
// Dev-only file, not part of the published package.
import tseslint from 'typescript-eslint';
import * as jsoncParser from 'jsonc-eslint-parser';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import communityNodes from '@n8n/eslint-plugin-community-nodes';

const communityConfig = communityNodes.configs.recommendedWithoutN8nCloudSupport;

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', '**/*.js', 'eslint.config.mjs'] },
	{
		files: ['credentials/**/*.ts', 'nodes/**/*.ts', 'package.json'],
		...communityConfig,
		languageOptions: { parser: tseslint.parser, parserOptions: { project: null } },
		rules: {
			...communityConfig.rules,
			// This package needs runtime dependencies (MSAL, nodemailer, later ews-javascript-api) and raw
			// sockets for SMTP, so it is self-hosted only and cannot be verified for n8n Cloud: accepted.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		files: ['package.json'],
		languageOptions: { parser: jsoncParser },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: { ...n8nNodesBase.configs.community.rules },
	},
	{
		files: ['credentials/**/*.ts'],
		languageOptions: { parser: tseslint.parser },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// Documented as "only applicable to nodes in the main repository" (docs slugs); ours are URLs.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		languageOptions: { parser: tseslint.parser },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// The two plugins disagree: the community rules want NodeConnectionTypes.Main, this one 'main'.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{
		// Shared auth and transport code throws plain typed errors (TokenRequestError, socket and
		// SMTP errors); the node boundary turns every one of them into a NodeApiError/NodeOperationError
		// with an actionable message (nodes/shared/errors/nodeErrors.ts). The rule is for node code.
		// The trigger's poll logic is converted the same way in ExchangeTrigger.node.ts.
		files: ['nodes/shared/auth/**/*.ts', 'nodes/shared/transport/**/*.ts', 'nodes/ExchangeTrigger/trigger/poll.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
];
