"""Lead-gen forms as touchpoints (docs/LEAD_FORMS.md): a delivery names a form response
(`store`), a job reads it from the platform (`clients`, `answers`) and stores it as a
`lead_form` touchpoint (`jobs`), and a CRM Lead is made when no CRM person matches (`crm`)."""
