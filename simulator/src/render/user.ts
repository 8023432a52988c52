/** Avatar URLs of users and projects (a CDN the harness never fetches; shape from docs/reference/atlassian-oauth.md §4). */
const AVATAR_CDN = 'https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net';

export function userAvatar(accountId: string): string {
  return `${AVATAR_CDN}/${encodeURIComponent(accountId)}/128`;
}
