import { del } from './operations';

export const operation = del;
