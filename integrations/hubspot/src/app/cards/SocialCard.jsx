import React from 'react';
import { hubspot } from '@hubspot/ui-extensions';

import { SocialCard } from './Card.jsx';

// The card's entry point (card-hsmeta.json): HubSpot hands over the record's context, and
// hubspot.fetch() signs each request to enrich with the app's client secret.
hubspot.extend(({ context, actions }) => (
  <SocialCard context={context} fetcher={hubspot.fetch} actions={actions} />
));
