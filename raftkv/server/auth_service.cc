#include "raftkv/server/auth_service.h"

#include "raftkv/server/errors.h"
#include "raftkv/server/unary_call.h"

namespace raftkv::server {

grpc::ServerUnaryReactor* AuthService::AuthDisable(
    grpc::CallbackServerContext* context, const etcdserverpb::AuthDisableRequest* /*request*/,
    etcdserverpb::AuthDisableResponse* response) {
  FillHeader(member_->Header(), response->mutable_header());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AuthService::AuthEnable(
    grpc::CallbackServerContext* context, const etcdserverpb::AuthEnableRequest* /*request*/,
    etcdserverpb::AuthEnableResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::Authenticate(
    grpc::CallbackServerContext* context, const etcdserverpb::AuthenticateRequest* /*request*/,
    etcdserverpb::AuthenticateResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::UserAdd(grpc::CallbackServerContext* context,
                                               const etcdserverpb::AuthUserAddRequest* /*request*/,
                                               etcdserverpb::AuthUserAddResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::UserGet(grpc::CallbackServerContext* context,
                                               const etcdserverpb::AuthUserGetRequest* /*request*/,
                                               etcdserverpb::AuthUserGetResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::UserList(
    grpc::CallbackServerContext* context, const etcdserverpb::AuthUserListRequest* /*request*/,
    etcdserverpb::AuthUserListResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::UserDelete(
    grpc::CallbackServerContext* context, const etcdserverpb::AuthUserDeleteRequest* /*request*/,
    etcdserverpb::AuthUserDeleteResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::UserChangePassword(
    grpc::CallbackServerContext* context,
    const etcdserverpb::AuthUserChangePasswordRequest* /*request*/,
    etcdserverpb::AuthUserChangePasswordResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::UserGrantRole(
    grpc::CallbackServerContext* context, const etcdserverpb::AuthUserGrantRoleRequest* /*request*/,
    etcdserverpb::AuthUserGrantRoleResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::UserRevokeRole(
    grpc::CallbackServerContext* context,
    const etcdserverpb::AuthUserRevokeRoleRequest* /*request*/,
    etcdserverpb::AuthUserRevokeRoleResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::RoleAdd(grpc::CallbackServerContext* context,
                                               const etcdserverpb::AuthRoleAddRequest* /*request*/,
                                               etcdserverpb::AuthRoleAddResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::RoleGet(grpc::CallbackServerContext* context,
                                               const etcdserverpb::AuthRoleGetRequest* /*request*/,
                                               etcdserverpb::AuthRoleGetResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::RoleList(
    grpc::CallbackServerContext* context, const etcdserverpb::AuthRoleListRequest* /*request*/,
    etcdserverpb::AuthRoleListResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::RoleDelete(
    grpc::CallbackServerContext* context, const etcdserverpb::AuthRoleDeleteRequest* /*request*/,
    etcdserverpb::AuthRoleDeleteResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::RoleGrantPermission(
    grpc::CallbackServerContext* context,
    const etcdserverpb::AuthRoleGrantPermissionRequest* /*request*/,
    etcdserverpb::AuthRoleGrantPermissionResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

grpc::ServerUnaryReactor* AuthService::RoleRevokePermission(
    grpc::CallbackServerContext* context,
    const etcdserverpb::AuthRoleRevokePermissionRequest* /*request*/,
    etcdserverpb::AuthRoleRevokePermissionResponse* /*response*/) {
  return RefuseUnary(context, ErrAuthNotEnabled());
}

}  // namespace raftkv::server
