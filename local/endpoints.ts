/** What the local runtime's AWS clients use: any region, dummy credentials, loopback endpoints. */
export const LOCAL_REGION = 'eu-west-2';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const TABLE_NAME = 'CareQualityEscalation';
export const STATE_MACHINE_NAME = 'CareQualityEscalation';
