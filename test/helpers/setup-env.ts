// Quiet, fast defaults for every integration test; each test app still gets its own database.
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.NODE_ENV = 'test';
