/** Identity sessions: the id.atlassian.com cookie that lets a logged-in browser skip the login form. */
import { onReset } from './reset.ts';
import { pwHash, secret } from './secrets.ts';
import { findUser, userEmail } from './world.ts';

interface Session {
  email: string;
  /** password fingerprint at login: a password change ends the session */
  pw: string;
  createdAt: number;
}
const sessions = new Map<string, Session>();
onReset(() => sessions.clear());

/** A new session for a user who just logged in (the caller checked the user exists). */
export function createSession(email: string): string {
  const key = userEmail(email);
  const user = key ? findUser(key) : undefined;
  if (!key || !user) throw new Error(`createSession: no user ${JSON.stringify(email)}`);
  const sid = secret('session');
  sessions.set(sid, { email: key, pw: pwHash(user.password), createdAt: Date.now() });
  return sid;
}

/** The session's user, unless the session is unknown, the user is gone/inactive or changed their password. */
export function sessionUser(sid: string | undefined): string | undefined {
  if (!sid) return undefined;
  const s = sessions.get(sid);
  if (!s) return undefined;
  const u = findUser(s.email);
  if (u?.status !== 'active' || pwHash(u.password) !== s.pw) {
    sessions.delete(sid);
    return undefined;
  }
  return s.email;
}

export function dropSession(sid: string | undefined): void {
  if (sid) sessions.delete(sid);
}
