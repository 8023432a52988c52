/**
 * Browser discovery (fixtures/core/browser.ts) on made-up file systems: a headless run takes the system headless shell
 * before the full Chromium, a headed one never takes the shell, and with no browser at all the one message says how to
 * install one. Only the paths that "exist" change between the cases.
 */
import { BrowserNotFoundError, chromiumLaunchOptions, findChromium } from '../../fixtures/core/browser.ts';
import { expect, test } from '../../fixtures/index.ts';

const only =
  (...paths: string[]) =>
  (p: string) =>
    paths.includes(p);

test('a headless run prefers the headless shell; a headed one takes the full browser', () => {
  const both = only('/usr/bin/chromium-headless-shell', '/usr/bin/chromium');
  expect(findChromium({ exists: both })).toEqual({ executablePath: '/usr/bin/chromium-headless-shell', source: 'system', shell: true });
  expect(findChromium({ exists: both, headed: true })).toEqual({ executablePath: '/usr/bin/chromium', source: 'system', shell: false });
});

test('without a headless shell the full Chromium serves headless runs too', () => {
  expect(findChromium({ exists: only('/usr/bin/chromium') })).toEqual({
    executablePath: '/usr/bin/chromium',
    source: 'system',
    shell: false,
  });
});

test('a headless shell alone does not serve a headed window: the message says what to install', () => {
  expect(findChromium({ exists: only('/usr/lib/chromium/chromium-headless-shell') }).shell).toBe(true);
  expect(() => findChromium({ exists: only('/usr/lib/chromium/chromium-headless-shell'), headed: true })).toThrow(BrowserNotFoundError);
  expect(() => findChromium({ exists: only() })).toThrow(/apt-get install -y chromium chromium-headless-shell/);
});

test('launch options: a headed launch says headless: false, as root every launch runs without the sandbox', () => {
  const headed = chromiumLaunchOptions(['--x-test-flag'], { headed: true });
  expect(headed.headless).toBe(false);
  expect(headed.args).toContain('--x-test-flag');
  expect(chromiumLaunchOptions().headless).toBeUndefined();
  if (process.getuid?.() === 0) expect(chromiumLaunchOptions().args).toContain('--no-sandbox');
});
