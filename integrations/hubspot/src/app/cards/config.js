// Your enrich's PUBLIC_URL. It must also be listed in app-hsmeta.json → permittedUrls.fetch:
// hubspot.fetch() refuses any other URL.
export const ENRICH_URL = 'https://enrich.example.com';
