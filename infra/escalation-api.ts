/**
 * The HTTP API in front of the http-api function: the links in emails, the Board and admin
 * endpoints and the web pages. Which routes need a token is decided here, in one table:
 *
 * - `/act/...` is public on purpose: an officer follows it from an email, and the HMAC signature
 *   in the link (checked by the function, together with expiry and single use) is the
 *   authorization. GET only shows a confirmation page; POST, with the page's form token, acts.
 * - everything else an officer or Board member does carries a JWT from the council's identity
 *   provider, verified by API Gateway before the function runs.
 *
 * Paths not in the table get API Gateway's 404 and never reach the function. Throttling on the
 * stage bounds what a flood (or a link scanner gone wild) can cost; access logs record every call
 * without the query string, so no link signature lands in a log.
 */
import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

export type RouteAccess = 'public' | 'jwt';

export interface RouteSpec {
  readonly path: string;
  readonly methods: readonly apigw.HttpMethod[];
  readonly access: RouteAccess;
}

const { GET, POST, ANY } = apigw.HttpMethod;

/** Sections behind the JWT authorizer, each as `/<section>` and `/<section>/{proxy+}`. */
export const AUTHENTICATED_SECTIONS = ['admin', 'api', 'board', 'board-meetings', 'cases', 'memo', 'providers', 'ratings'] as const;

/** Why each public route has no authorizer (cdk-nag APIG4 acknowledgements). */
const PUBLIC_BECAUSE: Record<string, string> = {
  '/act/{proxy+}':
    'Email links for officers: the HMAC-SHA256 signature in the link, its expiry and single use (checked by the ' +
    'function) are the authorization; GET only shows a confirmation page, POST needs its form token.',
  '/assets/{proxy+}': 'Static stylesheets, fonts and images for the pages (the public confirmation page included); no data.',
  '/health': 'A liveness probe answering {"ok":true}; it reads nothing and reveals nothing.',
};

export const ROUTES: readonly RouteSpec[] = [
  // Email links: the signature is the authorization (see above).
  { path: '/act/{proxy+}', methods: [GET, POST], access: 'public' },
  // Stylesheets, fonts and images of the pages, the public confirmation page included. No data.
  { path: '/assets/{proxy+}', methods: [GET], access: 'public' },
  { path: '/health', methods: [GET], access: 'public' },
  { path: '/', methods: [GET], access: 'jwt' },
  { path: '/memo.csv', methods: [GET], access: 'jwt' },
  ...AUTHENTICATED_SECTIONS.flatMap((section): RouteSpec[] => [
    { path: `/${section}`, methods: [ANY], access: 'jwt' },
    { path: `/${section}/{proxy+}`, methods: [ANY], access: 'jwt' },
  ]),
];

/** Fields of each access log line. The path has no query string, so link signatures stay out. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  subject: '$context.authorizer.claims.sub',
};

export interface EscalationApiProps {
  /** The function that answers every route. */
  readonly handler: lambda.IFunction;
  /** Issuer of accepted JWTs (an https URL; API Gateway reads its OIDC discovery document). */
  readonly jwtIssuer: string;
  /** Accepted audiences (`aud` or `client_id` claim). */
  readonly jwtAudience: string[];
  /**
   * Steady-state requests per second across the API.
   * @default 20
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of requests allowed above the rate.
   * @default 50
   */
  readonly throttleBurstLimit?: number;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Where the 5xx alarm notifies.
   * @default - alarm without actions
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class EscalationApi extends Construct {
  public readonly httpApi: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly accessLogs: logs.LogGroup;
  public readonly authorizer: HttpJwtAuthorizer;
  /** The API's base URL (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  public readonly url: string;
  /** In alarm when the API answers with server errors. */
  public readonly serverErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EscalationApiProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Care quality escalation: email links, Board and admin endpoints, pages',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit ?? 20, burstLimit: props.throttleBurstLimit ?? 50 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.url = this.stage.url;

    this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, { jwtAudience: props.jwtAudience });
    const integration = new HttpLambdaIntegration('Handler', props.handler);
    for (const route of ROUTES) {
      const created = this.httpApi.addRoutes({
        path: route.path,
        methods: [...route.methods],
        integration,
        ...(route.access === 'jwt' ? { authorizer: this.authorizer } : {}),
      });
      if (route.access === 'public') {
        const reason = PUBLIC_BECAUSE[route.path];
        if (!reason) throw new Error(`Public route ${route.path} needs a reason in PUBLIC_BECAUSE`);
        for (const httpRoute of created) acknowledge(httpRoute, 'AwsSolutions-APIG4', reason);
      }
    }

    this.serverErrorsAlarm = new cloudwatch.Alarm(this, 'ServerErrorsAlarm', {
      alarmDescription: 'The HTTP API answered with server errors (5xx)',
      metric: this.stage.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmAction) this.serverErrorsAlarm.addAlarmAction(props.alarmAction);
  }
}
