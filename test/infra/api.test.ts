import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext, logicalId, synthesize, type Synthesized } from './support';

interface Route {
  RouteKey: string;
  AuthorizationType?: string;
  AuthorizerId?: unknown;
}

let synthesized: Synthesized;
let routes: Route[];
let authorizerId: string;
beforeAll(() => {
  synthesized = synthesize();
  routes = Object.values(synthesized.template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route.Properties as Route);
  authorizerId = Object.keys(synthesized.template.findResources('AWS::ApiGatewayV2::Authorizer'))[0] as string;
});

const isJwt = (route: Route) => route.AuthorizationType === 'JWT' && JSON.stringify(route.AuthorizerId) === JSON.stringify({ Ref: authorizerId });
const byKey = (key: string) => {
  const route = routes.find((candidate) => candidate.RouteKey === key);
  if (!route) throw new Error(`no route ${key}`);
  return route;
};

describe('who may call what', () => {
  it('puts every admin and Board route behind the JWT authorizer', () => {
    // Prepare
    const adminAndBoard = routes.filter((route) => / \/(admin|board)(\/|$)/.test(route.RouteKey));
    // Assess
    expect(adminAndBoard.map((route) => route.RouteKey).sort()).toEqual(
      ['ANY /admin', 'ANY /admin/{proxy+}', 'ANY /board', 'ANY /board/{proxy+}'].sort(),
    );
    for (const route of adminAndBoard) expect(isJwt(route), route.RouteKey).toBe(true);
  });

  it('puts the web pages behind the JWT authorizer', () => {
    for (const key of ['GET /', 'GET /memo.csv', 'ANY /cases', 'ANY /cases/{proxy+}', 'ANY /memo', 'ANY /memo/{proxy+}', 'ANY /providers', 'ANY /providers/{proxy+}', 'ANY /board-meetings/{proxy+}', 'ANY /ratings', 'ANY /ratings/{proxy+}', 'ANY /api/{proxy+}']) {
      expect(isJwt(byKey(key)), key).toBe(true);
    }
  });

  it('leaves the email-link routes (GET and POST /act/...) open: the signature is the authorization', () => {
    for (const key of ['GET /act/{proxy+}', 'POST /act/{proxy+}']) {
      expect(byKey(key).AuthorizationType, key).toBe('NONE');
      expect(byKey(key).AuthorizerId, key).toBeUndefined();
    }
  });

  it('opens nothing else but the static assets and the liveness probe', () => {
    const open = routes.filter((route) => !isJwt(route)).map((route) => route.RouteKey);
    expect(open.sort()).toEqual(['GET /act/{proxy+}', 'GET /assets/{proxy+}', 'GET /health', 'POST /act/{proxy+}']);
  });

  it('has no catch-all route: unknown paths get 404 from API Gateway without reaching the function', () => {
    expect(routes.map((route) => route.RouteKey)).not.toContain('$default');
    expect(routes.map((route) => route.RouteKey)).not.toContain('ANY /{proxy+}');
  });

  it('verifies tokens against the issuer and audience from context', () => {
    const context = cdkJsonContext();
    synthesized.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: context.jwtIssuer, Audience: [context.jwtAudience] },
    });
  });
});

describe('the stage', () => {
  it('is the $default stage, throttled', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 50 },
    });
  });

  it('writes JSON access logs, without query strings (no link signature in a log), to a log group with a retention', () => {
    // Prepare
    const { stack, template } = synthesized;
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]?.Properties;
    const logGroupId = logicalId(stack, stack.api.accessLogs);
    // Assess
    expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
    expect(stage.AccessLogSettings.Format).not.toMatch(/rawQueryString|querystring|requestOverride/i);
    expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it('hands every route to the http-api function with the v2 payload', () => {
    const { stack, template } = synthesized;
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));
    expect(integrations).toHaveLength(1);
    expect(integrations[0]?.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(stack, stack.httpApiFunction), 'Arn'] },
    });
  });
});
