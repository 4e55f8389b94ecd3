/**
 * The client side of the jupyter-tracker REST API: one request function and
 * a module per resource.
 */

export * from './request';
export * from './client';
export * from './notebooks';
export * from './config';
