import React from 'react';
import {
  BarChart,
  Button,
  EmptyState,
  ErrorState,
  LineChart,
  Link,
  LoadingSpinner,
  StatisticsItem,
  StatisticsTrend,
  Tag,
  Text,
} from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { describe, expect, it } from 'vitest';

import { SocialCard } from './Card.jsx';
import { cardUrl } from './cardRequest.js';
import account from './fixtures/account.json';
import contact from './fixtures/contact.json';
import empty from './fixtures/empty.json';

// HubSpot's context for a contact record, as the extension receives it.
const context = {
  crm: { objectTypeId: '0-1', objectId: 101 },
  user: { id: 4242, email: 'rep@acme.example' },
  portal: { id: 777 },
};

// hubspot.fetch() stands in for HubSpot's signed proxy: it records what the card asked for and
// answers with a card document recorded from enrich (fixtures/, kept in shape by
// tests/embed/test_contract.py).
function fetcher(answers) {
  const calls = [];
  const fn = async (url, options) => {
    calls.push({ url, options });
    const [status, body] = answers.shift();
    return { ok: status < 400, status, json: async () => body };
  };
  fn.calls = calls;
  return fn;
}

async function rendered(answers) {
  const renderer = createRenderer('crm.record.sidebar');
  const fetch = fetcher(answers);
  renderer.render(<SocialCard context={context} fetcher={fetch} />);
  await renderer.waitFor(() => expect(fetch.calls.length).toBeGreaterThan(0));
  await renderer.waitFor(() => expect(renderer.maybeFind(LoadingSpinner)).toBeNull());
  return { ...renderer, fetch };
}

describe('cardUrl', () => {
  it('names the record and the HubSpot user, for enrich to check against the signature', () => {
    const url = new URL(cardUrl(context, 'card', 'https://enrich.test'));
    expect(url.pathname).toBe('/embed/hubspot/card');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      objectTypeId: '0-1',
      objectId: '101',
      userId: '4242',
      userEmail: 'rep@acme.example',
      portalId: '777',
    });
  });
});

describe('SocialCard', () => {
  it('shows a contact: score, reasons, interests, touchpoints, profiles', async () => {
    const { findByTestId, findAll, fetch } = await rendered([[200, contact]]);
    expect(fetch.calls[0].options.method).toBe('GET');
    expect(findByTestId(StatisticsItem, 'score').props.number).toBe(String(contact.score.value));
    const trend = findByTestId(StatisticsTrend, 'trend').props;
    expect(trend.value).toMatch(/ in 90 days$/);
    const spark = findByTestId(LineChart, 'sparkline').props.data;
    expect(spark.map((p) => p.score)).toEqual(contact.score.trend.points.map((p) => p.score));
    const texts = findAll(Text).map((t) => t.text);
    for (const reason of contact.score.reasons) expect(texts).toContain(`• ${reason}`);
    expect(findAll(Tag).map((t) => t.text)).toEqual(contact.interests.map((i) => i.topic));
    const links = findAll(Link).map((l) => l.props.href);
    expect(links).toEqual(contact.touchpoints.filter((t) => t.post_url).map((t) => t.post_url));
    expect(findByTestId(Text, 'why').text).toContain(contact.why);
  });

  it('sends Not this person with the link id and shows the card enrich returns', async () => {
    const linkId = contact.profiles[0].link_id;
    const after = { ...contact, profiles: [], touchpoints: [], why: null };
    const { findByTestId, maybeFind, waitFor, fetch } = await rendered([
      [200, contact],
      [200, { link: { id: linkId, status: 'rejected' }, card: after }],
    ]);
    findByTestId(Button, `not-this-person-${linkId}`).trigger('onClick');
    await waitFor(() => expect(fetch.calls.length).toBe(2));
    expect(fetch.calls[1].url).toContain('/embed/hubspot/not-this-person?');
    expect(fetch.calls[1].options).toEqual({ method: 'POST', body: { linkId } });
    await waitFor(() => expect(maybeFind(Button)).toBeNull());
  });

  it('shows an account: engaged people, weeks, opportunities', async () => {
    const { findByTestId, findAll } = await rendered([[200, account]]);
    const texts = findAll(Text).map((t) => t.text);
    const person = account.engaged_people[0];
    expect(texts.some((t) => t.startsWith(person.name))).toBe(true);
    expect(findByTestId(BarChart, 'weeks').props.data).toHaveLength(13);
    expect(texts.some((t) => t.startsWith(account.opportunities[0].name))).toBe(true);
  });

  it('says "No social activity yet" for a record enrich does not know', async () => {
    const { find, findByTestId } = await rendered([[200, empty]]);
    expect(find(EmptyState)).toBeDefined();
    expect(findByTestId(Text, 'empty').text).toBe('No social activity yet');
  });

  it("shows enrich's own error sentence when it refuses", async () => {
    const refusal = { error: { status: 429, code: 'rate_limited', message: 'retry in 12 s' } };
    const { find, findByTestId } = await rendered([[429, refusal]]);
    expect(find(ErrorState)).toBeDefined();
    expect(findByTestId(Text, 'error').text).toBe('retry in 12 s');
  });
});
