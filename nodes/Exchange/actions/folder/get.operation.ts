import { get } from './operations';

export const operation = get;
