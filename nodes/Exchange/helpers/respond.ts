import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { MailAddress } from '../../shared/mail/messageShape';
import type { BodyFormat, ResponseInput, ResponseKind } from '../../shared/mail/store';
import { valuesOf, type ParameterReader } from '../../shared/parameters';
import { messageIdProperty } from '../descriptions/common';
import { bodyFormatProperty, composeOptions } from '../descriptions/message';
import { composeOptionsOf } from './utils';

const BODY_FORMATS = valuesOf<BodyFormat>(bodyFormatProperty.options);

/** Reply and Forward: the message, then `recipients` (their own), then the comment and the options. */
export function responseProperties(recipients: INodeProperties, extraOptions: INodeProperties[]): INodeProperties[] {
	return [
		messageIdProperty,
		recipients,
		{
			displayName: 'Comment',
			name: 'comment',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			description: 'Text above the quoted original message',
		},
		{ ...bodyFormatProperty, displayName: 'Comment Format', name: 'commentFormat' },
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			options: [
				...composeOptions,
				...extraOptions,
				{ displayName: 'Subject', name: 'subject', type: 'string', default: '', description: 'Replaces the default "RE:" / "FW:" subject' },
			],
		},
	];
}

/** The comment, subject and compose options of a reply or forward. */
export async function responseInput(ctx: IExecuteFunctions, parameters: ParameterReader, kind: ResponseKind, to: MailAddress[]): Promise<ResponseInput> {
	return {
		kind,
		comment: parameters.text('comment', 'Comment'),
		commentFormat: parameters.option('commentFormat', 'Comment Format', BODY_FORMATS, 'text'),
		subject: parameters.optionalString('options.subject', 'Subject'),
		to,
		...(await composeOptionsOf(ctx, parameters)),
	};
}
