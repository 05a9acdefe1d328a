import React, { useCallback, useEffect, useState } from 'react';
import {
  BarChart,
  Button,
  Divider,
  EmptyState,
  ErrorState,
  Flex,
  LineChart,
  Link,
  LoadingSpinner,
  Statistics,
  StatisticsItem,
  StatisticsTrend,
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

const QUIET_CHART = { showLegend: false, showDataLabels: false, showTooltips: true };

function Score({ score }) {
  const change = score.trend.change;
  return (
    <Flex direction="column" gap="xs">
      <Statistics>
        <StatisticsItem label="Social score" number={String(score.value)} testId="score">
          <StatisticsTrend
            testId="trend"
            direction={change < 0 ? 'decrease' : 'increase'}
            value={`${signed(change)} in 90 days`}
          />
        </StatisticsItem>
      </Statistics>
      <LineChart
        testId="sparkline"
        data={score.trend.points.map((point) => ({ at: point.at, score: point.score }))}
        axes={{ x: { field: 'at', fieldType: 'datetime' }, y: { field: 'score', fieldType: 'linear' } }}
        options={QUIET_CHART}
      />
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
      <BarChart
        testId="weeks"
        data={card.touchpoints_by_week.map((week) => ({ week: week.week_ending, touchpoints: week.count }))}
        axes={{ x: { field: 'week', fieldType: 'category' }, y: { field: 'touchpoints', fieldType: 'linear' } }}
        options={QUIET_CHART}
      />
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
