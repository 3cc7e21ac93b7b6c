// An Ingress's class -> the routes' spec.className (docs/shared-clusters.md#route-classes): an
// Ingress picked its controller by class, and a WebSocketRoute picks its wsgate install the same
// way, so the converted routes keep the Ingress's class. What is worth a finding: a class that
// names another controller (the routes are then served only by a wsgate install started with
// that --class, which is rarely what a migration wants), a legacy annotation that disagrees with
// the field, and an annotation value that cannot be a class name.

import { DEFAULT_CLASS_NAME } from '../../api/defaults.js';
import { classNameProblem } from '../../api/route-class.js';
import { str, type Obj } from '../documents.js';
import type { Findings } from '../findings.js';

/** The class annotation before IngressClass (Kubernetes < 1.18); still read by controllers. */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** IngressClass names other controllers install by default, and who. */
const OTHER_CONTROLLERS: Readonly<Record<string, string>> = {
  nginx: 'ingress-nginx and NGINX Inc.\'s controller',
  'nginx-internal': 'ingress-nginx (internal)',
  traefik: 'Traefik',
  haproxy: 'HAProxy Ingress',
  alb: 'the AWS Load Balancer Controller',
  gce: 'GKE',
  'gce-internal': 'GKE (internal)',
  'azure-application-gateway': 'the Azure Application Gateway controller',
  'webapprouting.kubernetes.azure.com': 'AKS application routing',
  kong: 'Kong',
  istio: 'Istio',
  contour: 'Contour',
  cilium: 'Cilium',
  'openshift-default': 'the OpenShift router',
};

/**
 * The className for the routes of an Ingress with `spec` and `annotations`, or undefined (no
 * class: the routes go to the install marked --default-class, as the Ingress went to the
 * default IngressClass). spec.ingressClassName wins over the annotation, as the apiserver
 * refuses a new Ingress on which the two differ.
 */
export function ingressClassName(spec: Obj, annotations: Readonly<Record<string, unknown>>, f: Findings): string | undefined {
  const field = str(spec.ingressClassName);
  const raw = annotations[INGRESS_CLASS_ANNOTATION];
  const annotation = typeof raw === 'string' ? raw.trim() : undefined;
  if (field !== undefined && annotation !== undefined && annotation !== field) {
    f.warning(INGRESS_CLASS_ANNOTATION, `"${annotation}" differs from spec.ingressClassName "${field}" (the apiserver refuses that on a new Ingress): the routes take spec.ingressClassName`);
  }
  const name = field ?? annotation;
  const where = field !== undefined ? 'spec.ingressClassName' : INGRESS_CLASS_ANNOTATION;
  if (name === undefined || name === '') return undefined;
  const problem = classNameProblem(name);
  if (problem) {
    f.unconverted(where, `"${name}" cannot be a route class (${problem}): the routes are written without spec.className, so the install marked --default-class serves them`);
    return undefined;
  }
  const owner = OTHER_CONTROLLERS[name];
  if (owner) {
    f.warning(
      where,
      `"${name}" is the class of ${owner}: the routes get spec.className "${name}", which only a wsgate install started with --class ${name} (chart controller.className) serves; an install with the default class "${DEFAULT_CLASS_NAME}" leaves them alone. Change spec.className, or remove it for the default install`,
    );
  }
  return name;
}
