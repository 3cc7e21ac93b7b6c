/** "namespace/name" as the namespace and route labels of every per-route series. */
export function routeLabels(key: string): { namespace: string; route: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), route: key.slice(slash + 1) };
}
