import { createElement } from 'lwc';
import EnrichSocialCard from 'c/enrichSocialCard';
import getCard from '@salesforce/apex/EnrichCardController.getCard';
import notThisPerson from '@salesforce/apex/EnrichCardController.notThisPerson';

// Apex is not reachable from Jest: the two methods answer with card documents recorded from
// enrich (data/, kept in the backend's shape by tests/embed/test_contract.py).
jest.mock('@salesforce/apex/EnrichCardController.getCard', () => ({ default: jest.fn() }), { virtual: true });
jest.mock('@salesforce/apex/EnrichCardController.notThisPerson', () => ({ default: jest.fn() }), { virtual: true });

const contact = require('./data/contact.json');
const account = require('./data/account.json');
const empty = require('./data/empty.json');

const RECORD_ID = '003000000000001AAA';

// Let the Apex promise settle and the template re-render.
// eslint-disable-next-line @lwc/lwc/no-async-operation
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

async function mount(answer) {
    getCard.mockImplementation(answer);
    const element = createElement('c-enrich-social-card', { is: EnrichSocialCard });
    element.recordId = RECORD_ID;
    document.body.appendChild(element);
    await settled();
    return element;
}

const texts = (element, selector) => Array.from(element.shadowRoot.querySelectorAll(selector)).map((node) => node.textContent.trim());

describe('c-enrich-social-card', () => {
    afterEach(() => {
        while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
        jest.clearAllMocks();
    });

    it('asks Apex for this record and shows a contact: score, reasons, touchpoints, profiles', async () => {
        const element = await mount(() => Promise.resolve(JSON.stringify(contact)));
        expect(getCard).toHaveBeenCalledWith({ recordId: RECORD_ID });
        expect(texts(element, '.value')).toEqual([String(contact.score.value)]);
        expect(texts(element, '.reasons li')).toEqual(contact.score.reasons);
        expect(element.shadowRoot.querySelectorAll('.touchpoints li')).toHaveLength(contact.touchpoints.length);
        const links = Array.from(element.shadowRoot.querySelectorAll('.touchpoints a')).map((a) => a.getAttribute('href'));
        expect(links).toEqual(contact.touchpoints.filter((t) => t.post_url).map((t) => t.post_url));
        expect(texts(element, '.why')[0]).toContain(contact.why);
        const points = element.shadowRoot.querySelector('polyline').getAttribute('points').split(' ');
        expect(points).toHaveLength(contact.score.trend.points.length);
    });

    it('Not this person sends the link id and shows the card enrich returns', async () => {
        const element = await mount(() => Promise.resolve(JSON.stringify(contact)));
        const after = { ...contact, profiles: [], touchpoints: [], why: null };
        notThisPerson.mockResolvedValue(JSON.stringify({ link: { status: 'rejected' }, card: after }));
        const button = element.shadowRoot.querySelector('lightning-button');
        button.dispatchEvent(new CustomEvent('click'));
        await settled();
        expect(notThisPerson).toHaveBeenCalledWith({ recordId: RECORD_ID, linkId: contact.profiles[0].link_id });
        expect(element.shadowRoot.querySelectorAll('.profiles li')).toHaveLength(0);
    });

    it('shows an account: engaged people, 13 weeks, open opportunities', async () => {
        const element = await mount(() => Promise.resolve(JSON.stringify(account)));
        expect(texts(element, '.people li')[0]).toContain(account.engaged_people[0].name);
        expect(element.shadowRoot.querySelectorAll('.weeks li')).toHaveLength(13);
        expect(texts(element, '.opportunities li')[0]).toContain(account.opportunities[0].name);
    });

    it('says "No social activity yet" for a record enrich does not know', async () => {
        const element = await mount(() => Promise.resolve(JSON.stringify(empty)));
        expect(texts(element, '.empty')).toEqual(['No social activity yet']);
    });

    it("shows enrich's refusal in its own words", async () => {
        const element = await mount(() => Promise.reject({ body: { message: 'retry in 12 s' } }));
        expect(texts(element, '.error')).toEqual(['retry in 12 s']);
    });
});
