import { LightningElement, api } from 'lwc';
import { ShowToastEvent } from 'lightning/platformShowToastEvent';
import getCard from '@salesforce/apex/EnrichCardController.getCard';
import notThisPerson from '@salesforce/apex/EnrichCardController.notThisPerson';

const SPARK_WIDTH = 268;
const SPARK_HEIGHT = 36;
const SPARK_PAD = 3;

// An Apex error carries enrich's own sentence (AuraHandledException); show that.
function messageOf(error) {
    return (error && error.body && error.body.message) || (error && error.message) || 'enrich could not load this card';
}

// Same sections, order and wording as enrich's preview page and the HubSpot app card.
export default class EnrichSocialCard extends LightningElement {
    @api recordId;
    card;
    error;
    loading = true;

    connectedCallback() {
        this.load();
    }

    async load() {
        this.loading = true;
        try {
            this.card = JSON.parse(await getCard({ recordId: this.recordId }));
            this.error = undefined;
        } catch (error) {
            this.error = messageOf(error);
        } finally {
            this.loading = false;
        }
    }

    get isEmpty() {
        return Boolean(this.card && this.card.empty);
    }

    get isAccount() {
        return Boolean(this.card && !this.card.empty && this.card.kind === 'account');
    }

    get isPerson() {
        return Boolean(this.card && !this.card.empty && this.card.kind !== 'account');
    }

    get scoreValue() {
        return String(this.card.score.value);
    }

    get trendLabel() {
        const change = Math.round(this.card.score.trend.change);
        return `${change > 0 ? '+' : ''}${change} in 90 days`;
    }

    get sparkPoints() {
        const values = this.card.score.trend.points.map((point) => point.score);
        const peak = Math.max(...values, 1);
        const step = (SPARK_WIDTH - 2 * SPARK_PAD) / Math.max(values.length - 1, 1);
        return values
            .map((v, i) => `${(SPARK_PAD + i * step).toFixed(1)},${(SPARK_HEIGHT - SPARK_PAD - (v / peak) * (SPARK_HEIGHT - 2 * SPARK_PAD)).toFixed(1)}`)
            .join(' ');
    }

    get reasons() {
        return this.card.score.reasons.map((text, i) => ({ key: `r${i}`, text }));
    }

    get hasInterests() {
        return this.card.interests.length > 0;
    }

    get touchpoints() {
        return this.card.touchpoints.map((tp) => ({
            ...tp,
            label: `${tp.platform} · ${tp.kind} · ${tp.occurred_at.slice(0, 10)}`,
        }));
    }

    get profiles() {
        return this.card.profiles.map((p) => ({ ...p, label: `${p.platform} @${p.handle || p.name}` }));
    }

    get engagedPeople() {
        return this.card.engaged_people.map((p) => ({ ...p, sub: p.title || '' }));
    }

    get weeks() {
        const peak = Math.max(...this.card.touchpoints_by_week.map((w) => w.count), 1);
        return this.card.touchpoints_by_week.map((w) => ({
            ...w,
            title: `week ending ${w.week_ending}: ${w.count}`,
            style: `height: ${Math.max(2, Math.round((w.count / peak) * 48))}px`,
        }));
    }

    get hasOpportunities() {
        return this.card.opportunities.length > 0;
    }

    async handleNotThisPerson(event) {
        const linkId = Number(event.currentTarget.dataset.link);
        try {
            const answer = JSON.parse(await notThisPerson({ recordId: this.recordId, linkId }));
            this.card = answer.card;
            this.dispatchEvent(new ShowToastEvent({ title: 'Unlinked', message: 'enrich is taking back what it wrote.', variant: 'success' }));
        } catch (error) {
            this.dispatchEvent(new ShowToastEvent({ title: 'Not unlinked', message: messageOf(error), variant: 'error' }));
        }
    }
}
