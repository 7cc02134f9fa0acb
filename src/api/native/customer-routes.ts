import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CardService } from '../../vault/cards.ts';
import type { CustomerService } from '../../vault/customers.ts';
import { sendFailure } from '../problem.ts';
import { callerOf, etag, ifMatchOf, pageParams } from './http.ts';
import { list, presentAddress, presentCard, presentCustomer } from './presenters.ts';
import {
  AddressCreate,
  AddressList,
  AddressParams,
  AddressUpdate,
  CardList,
  Customer,
  CustomerCreate,
  CustomerList,
  CustomerListQuery,
  CustomerUpdate,
  IdParam,
  ListQuery,
  ProblemSchema,
  ShippingAddress,
} from './schemas.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 412: ProblemSchema };

type App = Parameters<FastifyPluginAsyncTypebox>[0];
type Deps = { customers: CustomerService; cards: CardService };

/** Customers: create, list, get, update, delete. */
function customerCrud(app: App, { customers }: Deps): void {
  const tags = ['customers'];
  app.post(
    '/v1/customers',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'createCustomer',
        summary: 'Create a customer',
        tags,
        body: CustomerCreate,
        response: { 201: Customer, ...errors },
      },
    },
    async (request, reply) => {
      const r = await customers.create(callerOf(request), request.body);
      if (!r.ok) return sendFailure(reply, r);
      return reply.code(201).header('etag', etag(r.value.version)).send(presentCustomer(r.value));
    },
  );

  app.get(
    '/v1/customers',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listCustomers',
        summary: 'List customers, or find one by your own customerId',
        tags,
        querystring: CustomerListQuery,
        response: { 200: CustomerList, ...errors },
      },
    },
    async (request) => {
      const page = await customers.list(callerOf(request), {
        ...pageParams(request.query),
        customerId: request.query.customerId ?? null,
      });
      return list(page.items.map(presentCustomer), page.nextCursor);
    },
  );

  app.get(
    '/v1/customers/:id',
    {
      config: { scope: 'read' },
      schema: { operationId: 'getCustomer', summary: 'Retrieve a customer', tags, params: IdParam, response: { 200: Customer, ...errors } },
    },
    async (request, reply) => {
      const r = await customers.get(callerOf(request), request.params.id);
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('etag', etag(r.value.version)).send(presentCustomer(r.value));
    },
  );

  app.patch(
    '/v1/customers/:id',
    {
      config: { scope: 'write', ifMatch: true },
      schema: {
        operationId: 'updateCustomer',
        summary: 'Update a customer',
        tags,
        params: IdParam,
        body: CustomerUpdate,
        response: { 200: Customer, ...errors },
      },
    },
    async (request, reply) => {
      const r = await customers.update(callerOf(request), request.params.id, request.body, ifMatchOf(request));
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('etag', etag(r.value.version)).send(presentCustomer(r.value));
    },
  );

  app.delete(
    '/v1/customers/:id',
    {
      config: { scope: 'write', ifMatch: true },
      schema: {
        operationId: 'deleteCustomer',
        summary: 'Delete a customer with its cards and addresses',
        tags,
        params: IdParam,
        response: { 200: Customer, ...errors },
      },
    },
    async (request, reply) => {
      const r = await customers.delete(callerOf(request), request.params.id, ifMatchOf(request));
      if (!r.ok) return sendFailure(reply, r);
      return presentCustomer(r.value);
    },
  );
}

/** A customer's cards. */
function customerCards(app: App, { cards }: Deps): void {
  app.get(
    '/v1/customers/:id/cards',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listCustomerCards',
        summary: "List a customer's cards",
        tags: ['cards'],
        params: IdParam,
        querystring: ListQuery,
        response: { 200: CardList, ...errors },
      },
    },
    async (request, reply) => {
      const r = await cards.list(callerOf(request), { ...pageParams(request.query), customerId: request.params.id });
      if (!r.ok) return sendFailure(reply, r);
      return list(
        r.value.items.map((c) => presentCard(c)),
        r.value.nextCursor,
      );
    },
  );
}

/** A customer's shipping addresses. */
function customerAddresses(app: App, { customers }: Deps): void {
  const atags = ['shipping addresses'];
  app.post(
    '/v1/customers/:id/addresses',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'createAddress',
        summary: 'Add a shipping address (the first one becomes the default)',
        tags: atags,
        params: IdParam,
        body: AddressCreate,
        response: { 201: ShippingAddress, ...errors },
      },
    },
    async (request, reply) => {
      const r = await customers.createAddress(callerOf(request), request.params.id, request.body.address, request.body.default ?? false);
      if (!r.ok) return sendFailure(reply, r);
      return reply.code(201).header('etag', etag(r.value.version)).send(presentAddress(r.value));
    },
  );

  app.get(
    '/v1/customers/:id/addresses',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listAddresses',
        summary: 'List shipping addresses',
        tags: atags,
        params: IdParam,
        querystring: ListQuery,
        response: { 200: AddressList, ...errors },
      },
    },
    async (request, reply) => {
      const r = await customers.listAddresses(callerOf(request), request.params.id, pageParams(request.query));
      if (!r.ok) return sendFailure(reply, r);
      return list(r.value.items.map(presentAddress), r.value.nextCursor);
    },
  );

  app.get(
    '/v1/customers/:id/addresses/:addressId',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getAddress',
        summary: 'Retrieve a shipping address',
        tags: atags,
        params: AddressParams,
        response: { 200: ShippingAddress, ...errors },
      },
    },
    async (request, reply) => {
      const r = await customers.getAddress(callerOf(request), request.params.id, request.params.addressId);
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('etag', etag(r.value.version)).send(presentAddress(r.value));
    },
  );

  app.patch(
    '/v1/customers/:id/addresses/:addressId',
    {
      config: { scope: 'write', ifMatch: true },
      schema: {
        operationId: 'updateAddress',
        summary: 'Replace a shipping address or change the default',
        tags: atags,
        params: AddressParams,
        body: AddressUpdate,
        response: { 200: ShippingAddress, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const r = await customers.updateAddress(
        callerOf(request),
        request.params.id,
        request.params.addressId,
        { ...(b.address ? { address: b.address } : {}), ...(b.default !== undefined ? { makeDefault: b.default } : {}) },
        ifMatchOf(request),
      );
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('etag', etag(r.value.version)).send(presentAddress(r.value));
    },
  );

  app.delete(
    '/v1/customers/:id/addresses/:addressId',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'deleteAddress',
        summary: 'Delete a shipping address',
        tags: atags,
        params: AddressParams,
        response: { 200: ShippingAddress, ...errors },
      },
    },
    async (request, reply) => {
      const r = await customers.deleteAddress(callerOf(request), request.params.id, request.params.addressId);
      if (!r.ok) return sendFailure(reply, r);
      return presentAddress(r.value);
    },
  );
}

export const customerRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, deps) => {
  customerCrud(app, deps);
  customerCards(app, deps);
  customerAddresses(app, deps);
};
