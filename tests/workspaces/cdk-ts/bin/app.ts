#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib';
import { OrdersStack } from '../lib/orders-stack';

const app = new cdk.App();
new OrdersStack(app, 'OrdersStack', {
  env: { account: '111122223333', region: 'us-east-1' },
});
app.synth();
