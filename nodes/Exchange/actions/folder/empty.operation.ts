import { empty } from './operations';

export const operation = empty;
