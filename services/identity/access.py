"""Who may call each IdentityService RPC: the one table the interceptor enforces."""

from services.kernel.access import ANY_USER, PUBLIC, SERVICES_ONLY, Access, any_user, roles
from services.kernel.enums import UserRoleEnum

ADMIN = UserRoleEnum.ADMIN
SERVICE = "/tagen.identity.v1.IdentityService/"

ACCESS: dict[str, Access] = {
    SERVICE + "Login": PUBLIC,
    SERVICE + "RefreshToken": PUBLIC,  # the refresh token is the credential
    SERVICE + "Logout": ANY_USER,  # only the caller's own refresh token
    SERVICE + "ChangePassword": ANY_USER,
    SERVICE + "LogoutEverywhere": ANY_USER,
    SERVICE + "ListSecurityStampChanges": SERVICES_ONLY,
    SERVICE + "GetCurrentUser": ANY_USER,
    SERVICE + "ListUsers": roles(ADMIN),
    SERVICE + "CreateUser": roles(ADMIN),
    SERVICE + "GetUser": any_user(services=True),  # self or ADMIN, checked in the use case
    SERVICE + "UpdateUser": ANY_USER,  # self or ADMIN, checked in the use case
    SERVICE + "DeleteUser": roles(ADMIN),
    SERVICE + "ProvisionSsoUser": roles(ADMIN, services=True),
    SERVICE + "AssignRole": roles(ADMIN),
    SERVICE + "RevokeRole": roles(ADMIN),
    SERVICE + "ListRoles": roles(ADMIN),
    SERVICE + "ListUsersByRole": roles(ADMIN),
    SERVICE + "ListConfig": any_user(services=True),
    SERVICE + "GetConfig": any_user(services=True),
    SERVICE + "ResolveConfig": SERVICES_ONLY,
    SERVICE + "SetConfig": roles(ADMIN),
}
