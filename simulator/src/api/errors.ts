/**
 * Every failure the API gateway can answer, as one error class with a stable `code`, mapped to the wire format in
 * one place (`sendApiError`). Gateway-level failures (token, site routing, scope) use the gateway's own body
 * `{"code":…,"message":…}` (atlassian-oauth.md §5); product-level failures (permission, validation, not found, gone)
 * use the product's body style: Jira `{"errorMessages":[…],"errors":{…}}`, Confluence v1
 * `{"statusCode":…,"data":{…},"message":…}`, Confluence v2 `{"errors":[{"status","code","title","detail"}]}`.
 * Every choice where the reference says "unknown" is listed in simulator/docs/rest.md.
 */
import type { Ctx } from '../http.ts';

/** Which product's error body a handler speaks. */
export type ErrorStyle = 'gateway' | 'jira' | 'confluence-v1' | 'confluence-v2';

export type ApiErrorCode =
  | 'token-missing'
  | 'token-invalid'
  | 'site-unknown'
  | 'site-not-in-grant'
  | 'product-not-installed'
  | 'scope-mismatch'
  | 'permission-denied'
  | 'admin-required'
  | 'not-found'
  | 'invalid-body'
  | 'gone';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    readonly status: number,
    message: string,
    /** field → message, for Jira-style validation errors */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// ── gateway (api.atlassian.com) ─────────────────────────────────────────────────────────────────────────────────
/** atlassian-oauth.md §5: missing/expired token body is "unknown"; 401 is commonly reported → simulator choice. */
export const tokenMissing = () => new ApiError('token-missing', 401, 'Unauthorized');
export const tokenInvalid = () => new ApiError('token-invalid', 401, 'Unauthorized');
/** atlassian-oauth.md §5: "cloudId not in the grant" body unknown → simulator choice: same 401 as a bad token. */
export const siteNotInGrant = () => new ApiError('site-not-in-grant', 401, 'Unauthorized');
/** Unknown cloudId: unknown in the reference → simulator choice 404. */
export const siteUnknown = (cloudId: string) => new ApiError('site-unknown', 404, `Not Found: no site with cloudId ${cloudId}`);
/** Product not installed on the site: unknown in the reference → simulator choice 404 naming the product. */
export const productNotInstalled = (product: string, siteUrl: string) =>
  new ApiError('product-not-installed', 404, `Not Found: ${product} is not installed on ${siteUrl}`);
/** atlassian-oauth.md §5 row 1: the exact body real users report. */
export const scopeMismatch = () => new ApiError('scope-mismatch', 401, 'Unauthorized; scope does not match');

// ── product-level ───────────────────────────────────────────────────────────────────────────────────────────────
export const permissionDenied = (message: string) => new ApiError('permission-denied', 403, message);
export const adminRequired = (message: string) => new ApiError('admin-required', 403, message);
export const notFound = (message: string) => new ApiError('not-found', 404, message);
export const invalidBody = (message: string, fields: Record<string, string> = {}) => new ApiError('invalid-body', 400, message, fields);
/** atlassian-oauth.md §5 row 4: "GoneException: This deprecated endpoint has been removed." */
export const gone = () =>
  new ApiError('gone', 410, 'com.atlassian.confluence.api.service.exceptions.GoneException: This deprecated endpoint has been removed.');

const GATEWAY_CODES: ReadonlySet<ApiErrorCode> = new Set([
  'token-missing',
  'token-invalid',
  'site-unknown',
  'site-not-in-grant',
  'product-not-installed',
  'scope-mismatch',
]);

const V2_CODES: Record<number, { code: string; title: string }> = {
  400: { code: 'INVALID_REQUEST_PARAMETER', title: 'Invalid request parameter' },
  403: { code: 'FORBIDDEN', title: 'Forbidden' },
  404: { code: 'NOT_FOUND', title: 'Not Found' },
  410: { code: 'GONE', title: 'Gone' },
};

/** The one place an ApiError becomes a response body. */
export function errorBody(e: ApiError, style: ErrorStyle): unknown {
  if (style === 'gateway' || GATEWAY_CODES.has(e.code)) return { code: e.status, message: e.message };
  switch (style) {
    case 'jira':
      // Jira REST v3 ErrorCollection
      return { errorMessages: e.message ? [e.message] : [], errors: e.fields };
    case 'confluence-v1':
      return {
        statusCode: e.status,
        data: {
          authorized: e.status !== 403,
          valid: e.status !== 400,
          allowedInReadOnlyMode: true,
          errors: Object.entries(e.fields).map(([k, v]) => ({ message: { key: k, args: [], translation: v } })),
          successful: false,
        },
        message: e.message,
        reason: e.status === 410 ? 'Gone' : undefined,
      };
    case 'confluence-v2': {
      const c = V2_CODES[e.status] ?? { code: 'ERROR', title: 'Error' };
      const details = Object.entries(e.fields);
      if (details.length === 0) return { errors: [{ status: e.status, code: c.code, title: e.message || c.title, detail: null }] };
      return { errors: details.map(([k, v]) => ({ status: e.status, code: c.code, title: v, detail: k })) };
    }
  }
}

export function sendApiError(ctx: Ctx, e: ApiError, style: ErrorStyle): void {
  ctx.json(e.status, errorBody(e, style));
}
