import { respond } from './respond';

export const operation = respond('forward');
