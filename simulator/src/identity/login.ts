import type { Router } from '../http.ts';
export function registerIdentity(_r: Router): void {}
