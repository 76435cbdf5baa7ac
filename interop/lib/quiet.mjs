// Imported first by sdk.mjs: keeps the Lit SDK's import-time deprecation notices (depd) off stderr.
// This changes no behaviour of the SDK, only what it prints.
process.noDeprecation = true;
