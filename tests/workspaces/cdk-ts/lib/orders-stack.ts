import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';

export class OrdersStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const table = new dynamodb.Table(this, 'Orders', {
      tableName: 'orders',
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    });

    const reports = new s3.Bucket(this, 'Reports', { bucketName: 'orders-reports-bkt' });

    const handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      environment: { TABLE: table.tableName, BUCKET: reports.bucketName },
    });
    table.grantReadData(handler);
  }
}
