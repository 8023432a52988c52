import type { Router } from '../http.ts';
export function registerAuth(_r: Router): void {}
