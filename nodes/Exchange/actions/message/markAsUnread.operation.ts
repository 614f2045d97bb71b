import { mark } from './mark';

export const operation = mark(false);
