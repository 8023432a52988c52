/**
 * Screen detection (fixtures/consent/screens.ts): the guess of the screens a flow usually shows next only makes the
 * look cheaper; it never changes the answer. Each page below shows a screen the guess does not name, or several screens
 * at once, and the guessed look must say what the full look says: the highest-ranked visible screen.
 */
import { detect, EXPECTED_NEXT, type ScreenId } from '../../fixtures/consent/screens.ts';
import { expect, test } from '../../fixtures/index.ts';

const REDIRECT = 'http://127.0.0.1:65000/callback';

const PAGES: Array<{ name: string; html: string; want: ScreenId | null }> = [
  { name: 'the email step', html: '<input id="username" placeholder="Enter email">', want: 'email' },
  {
    name: 'a password step with a login error above it',
    html: '<input id="password" placeholder="Enter password"><p>Incorrect email address and / or password.</p>',
    want: 'login-error',
  },
  {
    name: 'a "Something went wrong" page with the owner panel',
    html: '<h1>Something went wrong</h1><p>Information for the owner of app X: requested scopes that have not been added</p>',
    want: 'scopes-not-added',
  },
  {
    name: 'a consent screen with a block message',
    html: '<h1>App is requesting access to your Atlassian account</h1><p>Your site admin must authorize this app for the site.</p>',
    want: 'admin-must-authorize',
  },
  { name: 'a second factor the harness cannot answer', html: '<h1>Check your email</h1>', want: 'mfa-other' },
  { name: 'a page no matcher knows', html: '<h1>Welcome</h1>', want: null },
];

for (const p of PAGES) {
  test(`detect with every flow guess gives the full look's answer: ${p.name}`, async ({ page }) => {
    await page.setContent(`<!doctype html><body>${p.html}</body>`);
    const full = await detect(page, REDIRECT);
    expect(full).toBe(p.want);
    for (const [after, expected] of Object.entries(EXPECTED_NEXT)) {
      expect(await detect(page, REDIRECT, undefined, expected), `guess after ${after}: ${expected?.join(', ')}`).toBe(full);
    }
  });
}
