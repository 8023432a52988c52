/**
 * `npm run check-config`: validate .env (and the built-in .env.sim for TARGET=sim) and print what the harness will
 * use, with every secret shown only as "set". Exit 2 with one message naming each bad variable.
 */
import path from 'node:path';
import { loadConfigOrExit, ROOT } from '../fixtures/core/config.ts';

const config = loadConfigOrExit();
const lines = [
  `target: ${config.target}${config.rehearsal ? ' (rehearsal: real host names resolved to the simulator)' : ''}`,
  `app: ${config.app.name} (client id ${config.app.clientId}, secret set, callback ${config.app.callbackUrl})`,
  `scopes (${config.app.scopes.length}): ${config.app.scopes.join(' ')}`,
  ...config.accounts.map(
    (a) =>
      `account ${a.role}: ${a.email}${a.password ? ', password set' : ''}${a.apiToken ? ', API token set' : ''}${a.totpSecret ? ', TOTP set' : ''}${a.site ? `, site ${a.site}` : ''}`,
  ),
  `sites: ${config.sites?.join(', ') ?? 'all granted sites'}`,
  `accounts tested: ${config.selectedRoles?.join(', ') ?? 'all'}`,
  `mcp endpoint: ${config.mcp.endpoint}; sandbox: jira ${config.mcp.sandboxJiraProject ?? '(none)'}, confluence ${config.mcp.sandboxConfluenceSpace ?? '(none)'}`,
  `expectations: ${config.expectationsFile ?? '(none)'}`,
  `reports: ${path.relative(ROOT, config.reportsDir) || config.reportsDir}; workers: ${config.workers ?? 2}${config.chromiumPath ? `; chromium: ${config.chromiumPath}` : ''}`,
  ...(config.simWorld ? [`simulator world: ${config.simWorld}`] : []),
];
process.stdout.write(`${lines.join('\n')}\n`);
