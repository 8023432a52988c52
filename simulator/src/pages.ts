/**
 * Server-rendered HTML for the identity and consent pages. Looks are plain; labels, roles, ids and texts follow what
 * browser automation sees on the real pages (atlassian-oauth.md §2).
 */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A whole page; `style` adds CSS for this page only. An empty inline icon keeps the browser from asking for /favicon.ico. */
export function page(title: string, body: string, script = '', style = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{font-family:system-ui,sans-serif;max-width:560px;margin:40px auto;color:#172b4d}
input,select{display:block;width:100%;padding:8px;margin:6px 0 12px;box-sizing:border-box}
button{padding:8px 16px;margin-right:8px}
.warning{background:#fffae6;border:1px solid #ffab00;padding:12px;margin:12px 0}
.error{background:#ffebe6;border:1px solid #de350b;padding:12px;margin:12px 0}
.owner-info{border:1px solid #6b778c;padding:12px;margin:12px 0}
.muted{color:#6b778c;font-size:12px}
li{margin:8px 0} li span{display:block;color:#6b778c;font-size:13px}
${style}</style></head>
<body>
${body}
${script ? `<script>${script}</script>` : ''}
</body></html>`;
}

/** Generic error page: atlassian-oauth.md §1 — unknown client / bad redirect_uri: real behaviour unknown; the
 * community sees a bare "Something went wrong" page for this class of failure [27][28]. */
export function somethingWentWrong(reason: string): string {
  return page(
    'Something went wrong',
    `<h1>Something went wrong</h1>
<p>Please close this page and try again. If the problem continues, contact the developer of the app you were connecting.</p>
<p class="muted">Error reference: <code id="error-reason">${esc(reason)}</code></p>`,
  );
}
