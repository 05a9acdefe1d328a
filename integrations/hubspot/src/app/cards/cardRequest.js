import { ENRICH_URL } from './config.js';

// enrich reads who asks (for its per-user rate limit and audit log) from the query. HubSpot
// signs the whole URL (X-HubSpot-Signature-v3), so nothing here can be changed in transit.
export function cardUrl(context, route = 'card', base = ENRICH_URL) {
  const query = new URLSearchParams({
    objectTypeId: String(context.crm.objectTypeId),
    objectId: String(context.crm.objectId),
    userId: String(context.user.id),
    userEmail: context.user.email || '',
    portalId: String(context.portal.id),
  });
  return `${base}/embed/hubspot/${route}?${query.toString()}`;
}

// An error answer of enrich is {"error": {"message": ...}}: show that sentence to the rep.
export async function readJson(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.error && body.error.message;
    throw new Error(message || `enrich answered ${response.status}`);
  }
  return body;
}

export function signed(change) {
  const rounded = Math.round(change);
  return rounded > 0 ? `+${rounded}` : String(rounded);
}
