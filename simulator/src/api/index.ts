// Placeholder created by sim-core because this file was absent; sim-api owns it and replaces it.
import type { Router } from '../http.ts';

export function registerApi(_router: Router): void {}
