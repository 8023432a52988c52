/**
 * id.atlassian.com: the two-step login form, the TOTP step and the CAPTCHA switch, plus the identity session cookie
 * that lets a logged-in browser skip the form next time.
 *
 * Imitates atlassian-oauth.md §2 "Login (id.atlassian.com)": email field placeholder "Enter email" (`input#username`),
 * button "Continue" (`button#login-submit`), then password placeholder "Enter password" (`input#password`), button
 * "Log in". Wrong-password text is the start of the real message. MFA and CAPTCHA texts are simulator wording.
 */
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { z } from 'zod';
import type { Ctx, Router } from '../http.ts';
import { esc, page } from '../pages.ts';
import { createSession, dropSession, findUser, onReset, sessionUser, userEmail, world } from '../state.ts';

export const SESSION_COOKIE = 'cloud.session.token';
export const WRONG_PASSWORD = 'Incorrect email address and / or password.';
export const WRONG_OTP = 'The verification code is incorrect. Try again.';

/** Read the identity session cookie. */
export function sessionFromCookie(ctx: Ctx): string | undefined {
  const header = ctx.req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The logged-in user's email (undefined when not logged in). */
export function currentUser(ctx: Ctx): string | undefined {
  return sessionUser(sessionFromCookie(ctx));
}

function cookieAttrs(ctx: Ctx): string {
  // rehearsal mode (real host names over TLS): one cookie for *.atlassian.com like the real identity cookie;
  // loopback: host-only cookie on 127.0.0.1 (cookies ignore ports, so the auth port sees it too)
  return ctx.bases.id.startsWith('https://') ? '; Domain=atlassian.com; Secure' : '';
}

/** Only follow `continue` to one of this simulator's own hosts (no open redirect). */
function safeContinue(ctx: Ctx, target: string | undefined): string | undefined {
  if (!target) return undefined;
  try {
    const u = new URL(target);
    return Object.values(ctx.bases).some((b) => new URL(b).origin === u.origin) ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

interface MfaTicket {
  email: string;
  continueTo: string;
  expiresAt: number;
}
const tickets = new Map<string, MfaTicket>();
onReset(() => tickets.clear());

function usernameForm(cont: string, error?: string): string {
  return page(
    'Log in to continue - Log in with Atlassian account',
    `<h1>Log in to continue</h1>
${error ? `<div class="error" role="alert" id="login-error">${esc(error)}</div>` : ''}
<form method="post" action="/login" id="form-login">
<input type="hidden" name="continue" value="${esc(cont)}">
<input type="hidden" name="step" value="username">
<label for="username">Email</label>
<input id="username" name="username" type="email" placeholder="Enter email" autocomplete="username" autofocus>
<button id="login-submit" type="submit">Continue</button>
</form>`,
  );
}

function passwordForm(cont: string, email: string, error?: string): string {
  return page(
    'Log in to continue - Log in with Atlassian account',
    `<h1>Log in to continue</h1>
${error ? `<div class="error" role="alert" id="login-error">${esc(error)}</div>` : ''}
<form method="post" action="/login" id="form-login">
<input type="hidden" name="continue" value="${esc(cont)}">
<input type="hidden" name="step" value="password">
<input type="hidden" name="username" value="${esc(email)}">
<p id="username-display">${esc(email)}</p>
<label for="password">Password</label>
<input id="password" name="password" type="password" placeholder="Enter password" autocomplete="current-password" autofocus>
<button id="login-submit" type="submit">Log in</button>
</form>`,
  );
}

function mfaForm(ticket: string, error?: string): string {
  return page(
    'Two-step verification - Log in with Atlassian account',
    `<h1>Two-step verification</h1>
<p>Enter the 6-digit verification code from your authenticator app.</p>
${error ? `<div class="error" role="alert" id="login-error">${esc(error)}</div>` : ''}
<form method="post" action="/login/mfa" id="form-mfa">
<input type="hidden" name="ticket" value="${esc(ticket)}">
<label for="otp">Verification code</label>
<input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" placeholder="6-digit verification code" autofocus>
<button id="login-submit" type="submit">Verify</button>
</form>`,
  );
}

/** CAPTCHA: cannot be solved by automation (that is the point); the harness must recognise it and stop. */
function captchaPage(): string {
  return page(
    "Verify you're human - Log in with Atlassian account",
    `<h1>Verify you're human</h1>
<p>We need to make sure you're not a robot. Complete the CAPTCHA to continue.</p>
<iframe title="reCAPTCHA" width="304" height="78" srcdoc="<p>I'm not a robot</p>"></iframe>
<button id="login-submit" type="button" disabled>Continue</button>`,
  );
}

function loggedIn(ctx: Ctx, email: string, cont: string | undefined): void {
  const sid = createSession(email);
  ctx.note({ account: email });
  const cookie = `${SESSION_COOKIE}=${encodeURIComponent(sid)}; Path=/; HttpOnly; SameSite=Lax${cookieAttrs(ctx)}`;
  if (cont) {
    ctx.res.setHeader('set-cookie', cookie);
    ctx.redirect(cont);
    return;
  }
  ctx.html(200, page('Logged in', `<h1>You're logged in</h1><p>${esc(email)}</p>`), { 'set-cookie': cookie });
}

const LoginQuery = z.object({ continue: z.string().optional() }).passthrough();
const LoginPost = z.discriminatedUnion('step', [
  z.object({ step: z.literal('username'), continue: z.string().default(''), username: z.string().default('') }),
  z.object({
    step: z.literal('password'),
    continue: z.string().default(''),
    username: z.string().default(''),
    password: z.string().default(''),
  }),
]);
const MfaPost = z.object({ ticket: z.string().min(1), otp: z.string().default('') });

export function registerIdentity(r: Router): void {
  // GET /login?continue=URL — atlassian-oauth.md §2: the two-step form
  r.route('GET', '/login', async (ctx) => {
    const q = await ctx.parse(LoginQuery, 'query');
    const cont = safeContinue(ctx, q.continue) ?? '';
    const email = currentUser(ctx);
    if (email && cont) {
      ctx.note({ account: email });
      ctx.redirect(cont);
      return;
    }
    ctx.html(200, usernameForm(cont));
  });

  r.route('POST', '/login', async (ctx) => {
    const b = await ctx.parse(LoginPost, 'form');
    const cont = safeContinue(ctx, b.continue) ?? '';
    const email = b.username.trim();
    if (b.step === 'username') {
      if (!email) {
        ctx.html(400, usernameForm(cont, 'Enter your email address.'));
        return;
      }
      if (world().settings.captcha) {
        ctx.html(200, captchaPage());
        return;
      }
      // never reveals whether the account exists: the password step is shown for every email
      ctx.html(200, passwordForm(cont, email));
      return;
    }
    if (world().settings.captcha) {
      ctx.html(200, captchaPage());
      return;
    }
    const user = findUser(email);
    if (user?.status !== 'active' || user.serviceAccount || user.password !== b.password) {
      ctx.html(401, passwordForm(cont, email, WRONG_PASSWORD));
      return;
    }
    const key = userEmail(email)!;
    ctx.note({ account: key });
    if (user.mfaTotpSecret) {
      const ticket = randomBytes(18).toString('base64url');
      tickets.set(ticket, { email: key, continueTo: cont, expiresAt: Date.now() + 10 * 60_000 });
      ctx.html(200, mfaForm(ticket));
      return;
    }
    loggedIn(ctx, key, cont || undefined);
  });

  // TOTP step (RFC 6238 via the otpauth package; ±1 step of clock skew)
  r.route('POST', '/login/mfa', async (ctx) => {
    const b = await ctx.parse(MfaPost, 'form');
    const t = tickets.get(b.ticket);
    if (!t || t.expiresAt < Date.now()) {
      tickets.delete(b.ticket);
      ctx.html(400, usernameForm('', 'Your session expired. Log in again.'));
      return;
    }
    const user = findUser(t.email);
    const seed = user?.mfaTotpSecret;
    if (!user || !seed) {
      ctx.html(400, usernameForm(t.continueTo, 'Your session expired. Log in again.'));
      return;
    }
    ctx.note({ account: t.email });
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(seed), digits: 6, period: 30, algorithm: 'SHA1' });
    if (totp.validate({ token: b.otp.trim(), window: 1 }) === null) {
      ctx.html(401, mfaForm(b.ticket, WRONG_OTP));
      return;
    }
    tickets.delete(b.ticket);
    loggedIn(ctx, t.email, t.continueTo || undefined);
  });

  r.route('GET', '/logout', (ctx) => {
    dropSession(sessionFromCookie(ctx));
    ctx.html(200, page('Logged out', "<h1>You're logged out</h1>"), {
      'set-cookie': `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${cookieAttrs(ctx)}`,
    });
  });
}
