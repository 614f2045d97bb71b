import { respond } from './respond';

export const operation = respond('reply');
