// Placeholder created by sim-core because this file was absent; sim-mcp owns it and replaces it.
import type { Router } from '../http.ts';

export function registerMcp(_routers: { mcp: Router; auth: Router }): void {}
