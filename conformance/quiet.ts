// Imported first by the harness's entry points: GPO's simulators log warnings only unless GPO_LOG_LEVEL says otherwise.
process.env.GPO_LOG_LEVEL = process.env.GPO_LOG_LEVEL || 'warn';
