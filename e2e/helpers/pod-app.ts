// A test app on the e2e node: a Deployment of an image the node has (pull policy Never, the
// restricted pod security profile) whose pods know their name (POD_NAME) and are Ready when
// GET /readyz on their port answers, and a Service `app` on port 80 to that port.

export interface PodAppOptions {
  namespace: string;
  app: string;
  replicas: number;
  image: string;
  /** The container's name, and the name of its port 8080 (the Service's targetPort). */
  container: string;
  portName: string;
  memory: { request: string; limit: string };
}

export const POD_APP_PORT = 8080;

export function podApp(o: PodAppOptions): object[] {
  const { namespace, app } = o;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace },
      spec: {
        replicas: o.replicas,
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app } },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [{
              name: o.container,
              image: o.image,
              imagePullPolicy: 'Never',
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [{ name: o.portName, containerPort: POD_APP_PORT }],
              readinessProbe: { httpGet: { path: '/readyz', port: POD_APP_PORT }, periodSeconds: 1, failureThreshold: 1 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, readOnlyRootFilesystem: true, seccompProfile: { type: 'RuntimeDefault' } },
              resources: { requests: { cpu: '10m', memory: o.memory.request }, limits: { memory: o.memory.limit } },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace }, spec: { selector: { app }, ports: [{ name: o.portName, port: 80, targetPort: o.portName }] } },
  ];
}
