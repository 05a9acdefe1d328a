const lwcConfig = require('@salesforce/eslint-config-lwc');
const jest = require('eslint-plugin-jest');

module.exports = [
    { ignores: ['node_modules/**', '.sfdx/**', '.sf/**', 'coverage/**', 'jest.config.js', 'eslint.config.js'] },
    ...lwcConfig.configs.recommended,
    {
        files: ['**/__tests__/**/*.js'],
        ...jest.configs['flat/recommended'],
        languageOptions: { globals: { ...jest.environments.globals.globals, require: 'readonly' } }
    }
];
