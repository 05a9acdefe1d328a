import React, { useCallback, useEffect, useState } from 'react';
import {
  Button,
  Divider,
  EmptyState,
  ErrorState,
  Flex,
  Heading,
  Link,
  LoadingSpinner,
  Tag,
  Text,
} from '@hubspot/ui-extensions';

import { cardUrl, readJson, signed } from './cardRequest.js';

// Same sections, order and wording as enrich's preview page and the Salesforce component.
export function SocialCard({ context, fetcher, actions }) {
  const [state, setState] = useState({ status: 'loading' });

  const load = useCallback(async () => {
    try {
      const card = await readJson(await fetcher(cardUrl(context), { method: 'GET', timeout: 5000 }));
      setState({ status: 'ready', card });
    } catch (error) {
      setState({ status: 'error', message: error.message });
    }
  }, [context, fetcher]);

  useEffect(() => {
    load();
  }, [load]);

  const notThisPerson = async (linkId) => {
    try {
      const answer = await readJson(
        await fetcher(cardUrl(context, 'not-this-person'), { method: 'POST', body: { linkId } }),
      );
      setState({ status: 'ready', card: answer.card });
      actions?.addAlert?.({ type: 'success', message: 'Unlinked: enrich is taking back what it wrote.' });
    } catch (error) {
      actions?.addAlert?.({ type: 'danger', message: error.message });
    }
  };

  if (state.status === 'loading') return <LoadingSpinner label="Loading social activity" />;
  if (state.status === 'error') {
    return (
      <ErrorState title="enrich could not load this card">
        <Text testId="error">{state.message}</Text>
        <Button onClick={load}>Try again</Button>
      </ErrorState>
    );
  }
  const { card } = state;
  if (card.empty) {
    return (
      <EmptyState title="Social engagement" layout="vertical">
        <Text testId="empty">{card.message}</Text>
      </EmptyState>
    );
  }
  return (
    <Flex direction="column" gap="sm">
      <Score score={card.score} />
      {card.kind === 'account' ? (
        <Account card={card} />
      ) : (
        <Person card={card} onNotThisPerson={notThisPerson} />
      )}
    </Flex>
  );
}

function Score({ score }) {
  return (
    <Flex direction="column" gap="xs">
      <Heading>
        <Text inline testId="score">{String(score.value)}</Text>
      </Heading>
      <Text variant="microcopy" testId="trend">
        {signed(score.trend.change)} in 90 days
      </Text>
      {score.reasons.map((reason) => (
        <Text key={reason}>• {reason}</Text>
      ))}
    </Flex>
  );
}

function Person({ card, onNotThisPerson }) {
  return (
    <>
      {card.interests.length > 0 && (
        <Flex direction="row" gap="xs" wrap="wrap">
          {card.interests.map((interest) => (
            <Tag key={interest.topic}>{interest.topic}</Tag>
          ))}
        </Flex>
      )}
      <Divider />
      <Text format={{ fontWeight: 'bold' }}>Last touchpoints</Text>
      {card.touchpoints.map((tp) => (
        <Flex key={tp.id} direction="column">
          <Text format={{ fontWeight: 'demibold' }}>
            {tp.platform} · {tp.kind} · {tp.occurred_at.slice(0, 10)}
          </Text>
          {tp.excerpt && <Text variant="microcopy">{tp.excerpt}</Text>}
          {tp.post_url && <Link href={tp.post_url}>View post</Link>}
        </Flex>
      ))}
      <Divider />
      <Text format={{ fontWeight: 'bold' }}>Linked profiles</Text>
      {card.why && <Text testId="why">Why we think this is them: {card.why}</Text>}
      {card.profiles.map((profile) => (
        <Flex key={profile.link_id} direction="column" gap="xs">
          {profile.url ? (
            <Link href={profile.url}>
              {profile.platform} @{profile.handle || profile.name}
            </Link>
          ) : (
            <Text>
              {profile.platform} @{profile.handle || profile.name}
            </Text>
          )}
          <Text variant="microcopy">{profile.evidence}</Text>
          <Button
            testId={`not-this-person-${profile.link_id}`}
            size="xs"
            variant="destructive"
            onClick={() => onNotThisPerson(profile.link_id)}
          >
            Not this person
          </Button>
        </Flex>
      ))}
    </>
  );
}

function Account({ card }) {
  return (
    <>
      <Divider />
      <Text format={{ fontWeight: 'bold' }}>Engaged people</Text>
      {card.engaged_people.map((person) => (
        <Text key={person.record_id}>
          {person.name}
          {person.title ? ` · ${person.title}` : ''} · {String(person.score)}
        </Text>
      ))}
      <Divider />
      <Text format={{ fontWeight: 'bold' }}>Touchpoints by week</Text>
      <Text variant="microcopy" testId="weeks">
        {card.touchpoints_by_week.map((week) => week.count).join(' · ')}
      </Text>
      <Divider />
      <Text format={{ fontWeight: 'bold' }}>Open opportunities touched by social</Text>
      {card.opportunities.length === 0 && <Text>None</Text>}
      {card.opportunities.map((opportunity) => (
        <Text key={opportunity.crm_id}>
          {opportunity.name}
          {opportunity.stage ? ` · ${opportunity.stage}` : ''}
        </Text>
      ))}
    </>
  );
}
