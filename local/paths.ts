/** The project's root folder, from this module's own location (never the working directory). */
export const PROJECT_ROOT = new URL('..', import.meta.url).pathname;
